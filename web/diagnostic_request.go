package web

import (
	"net/http"
	"net/url"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

func init() { journeyLists["dm01tests"] = nhs.DM01Tests }

// diagnosticsPage is the data of a patient's diagnostic requests page:
// the requests and the form to record one.
type diagnosticsPage struct {
	pageData
	Requests                          []*crs.DiagnosticRequest
	Test, RequestedOn, Planned, DueOn string
}

// diagnosticFields lists the form's fields in page order.
var diagnosticFields = []string{"test", "requested_on", "due_on"}

func (s *Server) diagnosticsPage(r *http.Request, page *diagnosticsPage) error {
	if s.Diagnostics == nil {
		return errNoJourney
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page.Title, page.Banner = "Diagnostic tests", b
	page.Requests, err = s.Diagnostics.FindDiagnosticRequests(r.Context(), actorOf(r), b.ID)
	return err
}

// handleDiagnostics shows the patient's diagnostic test requests (the
// DM01 waiting list) and the form to record a request by hand.
func (s *Server) handleDiagnostics(w http.ResponseWriter, r *http.Request) error {
	page := &diagnosticsPage{}
	if err := s.diagnosticsPage(r, page); err != nil {
		return err
	}
	page.RequestedOn = crs.LocalDate(s.now()).String()
	return s.render(w, r, "diagnostics", page)
}

// handleRequestDiagnostic records a diagnostic test request.
func (s *Server) handleRequestDiagnostic(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	page := &diagnosticsPage{Test: form(r, "test"), RequestedOn: form(r, "requested_on"), Planned: form(r, "planned"), DueOn: form(r, "due_on")}
	if err := s.diagnosticsPage(r, page); err != nil {
		return err
	}
	d := &crs.DiagnosticRequest{PatientID: page.Banner.ID, Test: page.Test, Planned: page.Planned == "yes"}
	var msg string
	d.RequestedOn, msg = readDate(r, "requested_on", "Date requested")
	page.Errors.dateError("requested_on", msg)
	d.DueOn, msg = readDate(r, "due_on", "Date due")
	page.Errors.dateError("due_on", msg)
	fp := formPost{name: "diagnostics", page: page, order: diagnosticFields, fallback: "test"}
	fp.check(d.Validate(s.now()))
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Diagnostics.RequestDiagnostic(r.Context(), a, d)
		return "/patients/" + page.Banner.ID + "/diagnostics", d.Test + " request recorded", err
	})
}

// handleDiagnosticDone records that a requested test was done today.
func (s *Server) handleDiagnosticDone(w http.ResponseWriter, r *http.Request) error {
	if s.Diagnostics == nil {
		return errNoJourney
	}
	patient := form(r, "patient_id")
	if err := s.Diagnostics.RecordDiagnosticDone(r.Context(), actorOf(r), r.PathValue("id"), crs.Date{}); err != nil {
		return err
	}
	return s.redirect(w, r, "/patients/"+url.PathEscape(patient)+"/diagnostics", "Test recorded as done")
}
