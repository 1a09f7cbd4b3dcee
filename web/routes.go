package web

import (
	"net/http"
)

// routes lists every route of the user interface. Later areas (patient
// journey, HL7 message log, boards) add their lines here, each pointing at
// a handler in a file of its own. Wrap a handler in s.authed for pages of
// logged-in users (CSRF is checked on POST) or s.public for the rest.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", handleHealth)
	mux.Handle("GET /static/", staticHandler())

	mux.Handle("GET /login", s.public(s.handleLoginForm))
	mux.Handle("POST /login", s.public(s.handleLogin))
	mux.Handle("POST /logout", s.authed(s.handleLogout))

	mux.Handle("GET /{$}", s.authed(s.handleHome))
	mux.Handle("GET /patients", s.authed(s.handleSearch))
	mux.Handle("GET /patients/new", s.authed(s.handleRegisterForm))
	mux.Handle("POST /patients/new", s.authed(s.handleRegister))
	mux.Handle("GET /patients/{id}", s.authed(s.handlePatient))
	mux.Handle("GET /patients/{id}/edit", s.authed(s.handleEditForm))
	mux.Handle("POST /patients/{id}/edit", s.authed(s.handleEdit))
	mux.Handle("GET /patients/{id}/death", s.authed(s.handleDeathForm))
	mux.Handle("POST /patients/{id}/death", s.authed(s.handleDeath))
	mux.Handle("GET /patients/{id}/merge", s.authed(s.handleMergeForm))
	mux.Handle("POST /patients/{id}/merge", s.authed(s.handleMerge))
	mux.Handle("POST /patients/{id}/unmerge", s.authed(s.handleUnmerge))
	mux.Handle("POST /patients/{id}/delete", s.authed(s.handleDeletePatient))
	mux.Handle("GET /patients/{id}/history", s.authed(s.handleHistory))
	mux.Handle("GET /patients/{id}/audit", s.authed(s.handleAudit))
	mux.Handle("GET /patients/{id}/results", s.authed(s.handleResults))
	mux.Handle("GET /patients/{id}/results/{result}", s.authed(s.handleResult))
	mux.Handle("GET /patients/{id}/documents", s.authed(s.handleDocuments))
	mux.Handle("GET /patients/{id}/documents/{doc}", s.authed(s.handleDocument))
	mux.Handle("GET /patients/{id}/documents/{doc}/content", s.authed(s.handleDocumentContent))
	s.clinicalListRoutes(mux)
	mux.Handle("GET /patients/{id}/orders", s.authed(s.handleOrders))
	mux.Handle("POST /patients/{id}/orders", s.authed(s.handlePlaceOrder))
	mux.Handle("POST /orders/{id}/cancel", s.authed(s.handleCancelOrder))
	mux.Handle("GET /results/worklist", s.authed(s.handleResultWorklist))
	mux.Handle("POST /results/{report}/acknowledge", s.authed(s.handleAcknowledgeResult))
	mux.Handle("GET /spells/{id}/summary", s.authed(s.handleSummary))
	mux.Handle("POST /spells/{id}/summary", s.authed(s.handleSaveSummary))
	mux.Handle("GET /spells/{id}/summary.pdf", s.authed(s.handleSummaryPDF))
	mux.Handle("GET /discharges/summaries", s.authed(s.handleOverdueSummaries))
	mux.Handle("GET /patients/{id}/observations", s.authed(s.handleObservations))
	mux.Handle("POST /patients/{id}/observations", s.authed(s.handleRecordObservations))
	mux.Handle("POST /patients/{id}/observations/scale", s.authed(s.handleObservationsScale))
	mux.Handle("POST /patients/{id}/observations/{set}/error", s.authed(s.handleObservationsInError))
	mux.Handle("GET /wards/{id}/clinical", s.authed(s.handleWardClinical))

	// The patient journey.
	mux.Handle("GET /patients/{id}/referrals/new", s.authed(s.handleReferralForm))
	mux.Handle("POST /patients/{id}/referrals/new", s.authed(s.handleRecordReferral))
	mux.Handle("GET /referrals/{id}", s.authed(s.handleReferral))
	mux.Handle("GET /referrals/{id}/book", s.authed(s.handleBookForm))
	mux.Handle("POST /referrals/{id}/book", s.authed(s.handleBook))
	mux.Handle("POST /referrals/{id}/close", s.authed(s.handleCloseReferral))
	mux.Handle("GET /pathways/{id}", s.authed(s.handlePathway))
	mux.Handle("GET /pathways/{id}/list", s.authed(s.handleListingForm))
	mux.Handle("POST /pathways/{id}/list", s.authed(s.handleListing))
	mux.Handle("POST /pathways/{id}/decision", s.authed(s.handleDecision))
	mux.Handle("GET /clinics", s.authed(s.handleClinics))
	mux.Handle("POST /clinics", s.authed(s.handleCreateClinic))
	mux.Handle("GET /clinics/{id}", s.authed(s.handleClinic))
	mux.Handle("POST /clinics/{id}/slots", s.authed(s.handleGenerateSlots))
	mux.Handle("GET /appointments/{id}", s.authed(s.handleAppointment))
	mux.Handle("POST /appointments/{id}/cancel", s.authed(s.handleCancelAppointment))
	mux.Handle("GET /appointments/{id}/reschedule", s.authed(s.handleRescheduleForm))
	mux.Handle("POST /appointments/{id}/reschedule", s.authed(s.handleReschedule))
	mux.Handle("POST /appointments/{id}/checkin", s.authed(s.handleCheckIn))
	mux.Handle("POST /appointments/{id}/attendance", s.authed(s.handleAttendance))
	mux.Handle("POST /appointments/{id}/outcome", s.authed(s.handleOutcome))
	mux.Handle("GET /worklists", s.authed(s.handleWorklists))
	mux.Handle("GET /waiting-list", s.authed(s.handleWaitingList))
	mux.Handle("GET /waiting-list.csv", s.authed(s.handleWaitingListCSV))
	mux.Handle("GET /waiting-list/{id}", s.authed(s.handleEntry))
	mux.Handle("POST /waiting-list/{id}/offer", s.authed(s.handleOfferTCI))
	mux.Handle("POST /waiting-list/{id}/offers/{offer}/respond", s.authed(s.handleRespondTCI))
	mux.Handle("POST /waiting-list/{id}/remove", s.authed(s.handleRemoveEntry))
	mux.Handle("POST /waiting-list/{id}/suspend", s.authed(s.handleSuspendEntry))
	mux.Handle("POST /waiting-list/{id}/resume", s.authed(s.handleResumeEntry))
	mux.Handle("POST /waiting-list/{id}/dna", s.authed(s.handleEntryDNA))
	mux.Handle("GET /ptl", s.authed(s.handlePTL))
	mux.Handle("GET /ptl.csv", s.authed(s.handlePTLCSV))
	mux.Handle("GET /patients/{id}/admit", s.authed(s.handleAdmitForm))
	mux.Handle("POST /patients/{id}/admit", s.authed(s.handleAdmit))
	mux.Handle("GET /patients/{id}/preadmissions/new", s.authed(s.handlePlannedForm))
	mux.Handle("POST /patients/{id}/preadmissions/new", s.authed(s.handleRecordPlanned))
	mux.Handle("GET /preadmissions/{id}", s.authed(s.handlePreadmission))
	mux.Handle("POST /preadmissions/{id}/cancel", s.authed(s.handleCancelPreadmission))
	mux.Handle("GET /spells/{id}", s.authed(s.handleSpell))
	mux.Handle("POST /spells/{id}/{action}", s.authed(s.handleSpellAction))
	mux.Handle("POST /spells/{id}/not-done", s.authed(s.handleSpellNotDone))
	mux.Handle("GET /beds", s.authed(s.handleBedBoard))
	mux.Handle("GET /beds/{ward}", s.authed(s.handleWardBeds))
	mux.Handle("GET /patients/{id}/ed/new", s.authed(s.handleArrivalForm))
	mux.Handle("POST /patients/{id}/ed/new", s.authed(s.handleArrive))
	mux.Handle("GET /ed", s.authed(s.handleTrackingBoard))
	mux.Handle("GET /ed/{id}", s.authed(s.handleEDAttendance))
	mux.Handle("POST /ed/{id}/{action}", s.authed(s.handleEDAction))
	mux.Handle("GET /coding", s.authed(s.handleCodingWorklist))
	mux.Handle("GET /coding/episodes/{id}", s.authed(s.handleCodingEpisode))
	mux.Handle("POST /coding/episodes/{id}", s.authed(s.handleCodeEpisode))
	mux.Handle("GET /live", s.authed(s.handleLive))

	// Staff: the trust's users, for its administrators.
	mux.Handle("GET /staff", s.authed(s.handleStaff))
	mux.Handle("GET /staff/new", s.authed(s.handleStaffNewForm))
	mux.Handle("POST /staff/new", s.authed(s.handleStaffNew))
	mux.Handle("GET /staff/{id}", s.authed(s.handleStaffUser))
	mux.Handle("POST /staff/{id}/disable", s.authed(s.handleStaffDisable))
	mux.Handle("POST /staff/{id}/enable", s.authed(s.handleStaffEnable))
	mux.Handle("POST /staff/{id}/password", s.authed(s.handleStaffPassword))
	mux.Handle("POST /staff/{id}/unlock", s.authed(s.handleStaffUnlock))

	// Locations: the trust's estate, for its administrators.
	mux.Handle("GET /locations", s.authed(s.handleLocations))
	mux.Handle("GET /locations/new", s.authed(s.handleLocationNewForm))
	mux.Handle("POST /locations/new", s.authed(s.handleLocationNew))
	mux.Handle("POST /locations/{id}/status", s.authed(s.handleLocationStatus))

	s.messageRoutes(mux, s.Messages)

	// The information analyst's area and diagnostic requests.
	mux.Handle("GET /reports", s.authed(s.handleReports))
	mux.Handle("GET /golive", s.authed(s.handleGoLive))
	mux.Handle("GET /reports/rtt", s.authed(s.handleReportRTT))
	mux.Handle("GET /reports/rtt/patients", s.authed(s.handleReportRTTPatients))
	mux.Handle("GET /reports/kh03", s.authed(s.handleReportKH03))
	mux.Handle("GET /reports/ae", s.authed(s.handleReportAE))
	mux.Handle("GET /reports/download", s.authed(s.handleReportDownload))
	mux.Handle("GET /patients/{id}/diagnostics", s.authed(s.handleDiagnostics))
	mux.Handle("POST /patients/{id}/diagnostics", s.authed(s.handleRequestDiagnostic))
	mux.Handle("POST /diagnostics/{id}/done", s.authed(s.handleDiagnosticDone))

	// Record access: role choice, claims and break-glass, seals, staff
	// assignments and the privacy officer (access.go declares who may use
	// every route).
	mux.Handle("GET /login/role", s.authed(s.handleRoleForm))
	mux.Handle("POST /login/role", s.authed(s.handleChooseRole))
	mux.Handle("POST /patients/{id}/access", s.authed(s.handleGrantAccess))
	mux.Handle("GET /patients/{id}/audit/letter", s.authed(s.handleAuditLetter))
	mux.Handle("POST /patients/{id}/seal", s.authed(s.handleSeal))
	mux.Handle("POST /patients/{id}/unseal", s.authed(s.handleUnseal))
	mux.Handle("POST /staff/{id}/roles", s.authed(s.handleStaffRoles))
	mux.Handle("POST /staff/{id}/identity", s.authed(s.handleStaffIdentity))
	mux.Handle("POST /staff/{id}/assignments", s.authed(s.handleStaffAssign))
	mux.Handle("POST /staff/{id}/assignments/{assignment}/end", s.authed(s.handleStaffUnassign))
	mux.Handle("GET /privacy/alerts", s.authed(s.handleAlerts))
	mux.Handle("POST /privacy/alerts/{id}/close", s.authed(s.handleCloseAlert))

	mux.Handle("/", s.public(s.handleNotFound))
}

// handleHealth tells a load balancer or monitor the server is up. It needs
// no login and touches no data.
func handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok"))
}

// handleHome sends the user to the patient search, the start of a
// clerk's work.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/patients", http.StatusSeeOther)
	return nil
}

// handleNotFound shows the page-not-found page for any unknown address.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return errNoPage
}

// messageRoutes lists the interface analyst's pages, served by m: the
// message log, one message, resend, skip and reprocess, and the feeds.
func (s *Server) messageRoutes(mux *http.ServeMux, m MessageService) {
	if m == nil {
		return
	}
	mux.Handle("GET /messages", s.authed(s.handleMessages(m)))
	mux.Handle("GET /messages/{id}", s.authed(s.handleMessage(m)))
	mux.Handle("POST /messages/{id}/resend", s.authed(s.handleResendMessage(m)))
	mux.Handle("POST /messages/{id}/skip", s.authed(s.handleSkipMessage(m)))
	mux.Handle("POST /messages/{id}/reprocess", s.authed(s.handleReprocessMessage(m)))
	mux.Handle("POST /messages/reprocess", s.authed(s.handleReprocessRange(m)))
	mux.Handle("POST /feeds/{id}/resend", s.authed(s.handleResendRange(m)))
	mux.Handle("GET /feeds", s.authed(s.handleFeeds(m)))
	s.interfaceCheckRoutes(mux, m)
	s.codeMapRoutes(mux, m)
}
