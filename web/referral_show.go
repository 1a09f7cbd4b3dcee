package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// referralForm is the new referral form as typed.
type referralForm struct {
	Source, ReferrerCode, ReferrerName, ReferrerOrg, ReceivedOn, Priority string
	Specialty, TreatmentFunction, ConsultantCode, UBRN, PPI, Reason       string
	ConsultantLed                                                         bool
}

// referralFields lists the form's fields in page order.
var referralFields = []string{"source", "referrer_name", "received_on", "priority", "treatment_function", "specialty", "consultant", "consultant_led", "ubrn", "ppi", "reason"}

// referralFormPage is the data of the record a referral page.
type referralFormPage struct {
	pageData
	Form referralForm
}

// handleReferralForm shows the form to record a referral received for
// the patient.
func (s *Server) handleReferralForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	page := &referralFormPage{Form: referralForm{Source: "03", Priority: crs.PriorityRoutine, ConsultantLed: true,
		ReceivedOn: crs.LocalDate(s.now()).String()}}
	page.Title, page.Banner = "Record a referral", b
	return s.render(w, r, "referral_new", page)
}

// handleRecordReferral records the referral; a consultant-led one opens
// an RTT pathway whose clock starts on the day it was received.
func (s *Server) handleRecordReferral(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	f := referralForm{Source: form(r, "source"), ReferrerCode: form(r, "referrer_code"), ReferrerName: form(r, "referrer_name"),
		ReferrerOrg: form(r, "referrer_org"), ReceivedOn: form(r, "received_on"), Priority: form(r, "priority"),
		Specialty: form(r, "specialty"), TreatmentFunction: form(r, "treatment_function"), ConsultantCode: form(r, "consultant"),
		UBRN: form(r, "ubrn"), PPI: form(r, "ppi"), Reason: form(r, "reason"), ConsultantLed: form(r, "consultant_led") == "yes"}
	page := &referralFormPage{Form: f}
	page.Title, page.Banner = "Record a referral", b
	ref := &crs.Referral{PatientID: b.ID, Source: f.Source, ReferrerCode: f.ReferrerCode, ReferrerName: f.ReferrerName,
		ReferrerOrg: f.ReferrerOrg, Priority: f.Priority, Specialty: f.Specialty, TreatmentFunction: f.TreatmentFunction,
		ConsultantCode: f.ConsultantCode, ConsultantLed: f.ConsultantLed, UBRN: f.UBRN, PPI: f.PPI, Reason: f.Reason}
	if d, ok := parseDay(f.ReceivedOn); ok {
		ref.ReceivedOn = d
	} else {
		page.Errors.add("received_on", "", "Date received must be a real date, for example 02/03/2026")
	}
	ref.Normalize()
	if err := ref.Validate(s.now()); err != nil {
		page.Errors.addErr(err, nil)
	}
	if !page.Errors.Any() {
		err = s.Referrals.RecordReferral(r.Context(), a, ref)
		if err == nil {
			msg := "Referral recorded"
			if ref.PPI != "" {
				msg += "; RTT pathway " + ref.PPI + " started, clock from " + ref.ReceivedOn.Display()
			}
			return s.redirect(w, r, "/referrals/"+ref.ID, msg)
		}
		if !serviceErrors(&page.Errors, err, nil, "source") {
			return err
		}
	}
	return s.reshow(w, r, "referral_new", page, referralFields)
}

// referralPage is the data of a referral's page.
type referralPage struct {
	pageData
	Referral     *crs.Referral
	Pathway      *crs.Pathway
	Appointments []*crs.Appointment
	Clinics      map[string]*crs.Clinic
	Live         bool // an appointment is booked or checked in: the referral cannot be closed

	ClosedOn, Reason, RTTStatus string // the close form as typed
}

func (s *Server) loadReferral(r *http.Request, page *referralPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	ref, err := s.Referrals.FindReferral(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, ref.PatientID)
	if err != nil {
		return err
	}
	page.Referral, page.Title, page.Banner = ref, "Referral", b
	if ref.PathwayID != "" {
		if page.Pathway, err = s.Referrals.FindPathway(r.Context(), a, ref.PathwayID); err != nil {
			return err
		}
	}
	if page.Appointments, err = s.Outpatients.FindAppointments(r.Context(), a, ref.ID); err != nil {
		return err
	}
	for _, ap := range page.Appointments {
		if ap.Status == crs.AppointmentBooked || ap.Status == crs.AppointmentCheckedIn {
			page.Live = true
		}
	}
	page.Clinics = s.clinicsByID(r)
	if page.ClosedOn == "" {
		page.ClosedOn = crs.LocalDate(s.now()).String()
	}
	return nil
}

// handleReferral shows a referral: who referred, its RTT pathway and
// clock, its appointments and what can be done next.
func (s *Server) handleReferral(w http.ResponseWriter, r *http.Request) error {
	page := &referralPage{}
	if err := s.loadReferral(r, page); err != nil {
		return err
	}
	return s.render(w, r, "referral", page)
}

// closeFields lists the close form's fields in page order.
var closeFields = []string{"closed_on", "reason", "rtt_status"}

// handleCloseReferral closes (discharges) a referral that needs no
// further outpatient care, with the reason and, on an RTT pathway, the
// status of the decision: 34 no treatment needed stops the clock.
func (s *Server) handleCloseReferral(w http.ResponseWriter, r *http.Request) error {
	page := &referralPage{ClosedOn: form(r, "closed_on"), Reason: form(r, "reason"), RTTStatus: form(r, "rtt_status")}
	if err := s.loadReferral(r, page); err != nil {
		return err
	}
	a := actorOf(r)
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	switch {
	case page.Referral.Status != crs.ReferralOpen:
		return crs.Errorf(crs.ECONFLICT, "The referral is already closed.")
	case page.Live:
		return crs.Errorf(crs.ECONFLICT, "The referral has a booked appointment: cancel it first, then close the referral.")
	}
	c := crs.ReferralClosure{Reason: page.Reason}
	if d, ok := parseDay(page.ClosedOn); ok {
		c.On = d
	} else {
		page.Errors.add("closed_on", "", "Date closed must be a real date, for example 2026-03-02")
	}
	if page.RTTStatus != "" {
		st, err := parseRTT(page.RTTStatus)
		if err != nil {
			page.Errors.add("rtt_status", "", "Choose an RTT status from the list")
		}
		c.RTTStatus = st
	}
	if err := c.Validate(s.now()); err != nil {
		page.Errors.addErr(err, nil)
	}
	if !page.Errors.Any() {
		err := s.Referrals.CloseReferral(r.Context(), a, page.Referral.ID, c)
		if err == nil {
			msg := "Referral closed"
			if c.RTTStatus != 0 {
				msg += " with RTT status " + c.RTTStatus.String()
			}
			return s.redirect(w, r, "/referrals/"+page.Referral.ID, msg)
		}
		if !serviceErrors(&page.Errors, err, nil, "reason") {
			return err
		}
	}
	return s.reshow(w, r, "referral", page, closeFields)
}

// clinicsByID returns the trust's clinics by id, for naming them.
func (s *Server) clinicsByID(r *http.Request) map[string]*crs.Clinic {
	m := map[string]*crs.Clinic{}
	cs, err := s.Outpatients.FindClinics(r.Context(), actorOf(r))
	if err != nil {
		return m
	}
	for _, c := range cs {
		m[c.ID] = c
	}
	return m
}
