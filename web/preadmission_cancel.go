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
		return s.reshow(w, r, "preadmission", page, nil)
	}
	err := s.Inpatients.CancelPreadmission(r.Context(), actorOf(r), page.Planned.ID, page.Reason)
	if err == nil {
		return s.redirect(w, r, "/patients/"+page.Planned.PatientID, "Planned admission "+page.Planned.VisitNumber+" cancelled")
	}
	if !serviceErrors(&page.Errors, err, nil, "reason") {
		return err
	}
	return s.reshow(w, r, "preadmission", page, nil)
}
