package web

import (
	"net/http"
)

// handleCancelPreadmission cancels a pending planned admission, with the
// reason beside the field when it is missing.
func (s *Server) handleCancelPreadmission(w http.ResponseWriter, r *http.Request) error {
	page := &preadmissionPage{Reason: form(r, "reason")}
	if err := s.loadPreadmission(r, page); err != nil {
		return err
	}
	if page.Reason == "" {
		page.Errors.add("reason", "", "Say why the planned admission is cancelled")
	}
	return s.submit(w, r, formPost{name: "preadmission", page: page, fallback: "reason"}, func() (string, string, error) {
		err := s.Inpatients.CancelPreadmission(r.Context(), actorOf(r), page.Planned.ID, page.Reason)
		return "/patients/" + page.Planned.PatientID, "Planned admission " + page.Planned.VisitNumber + " cancelled", err
	})
}
