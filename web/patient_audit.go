package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// auditPage is the data of a patient's access audit page.
type auditPage struct {
	pageData
	Records []*crs.AuditRecord
}

// handleAudit shows a privacy officer who accessed a patient's record:
// when, which user in which role, what they did and saw, and why.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActViewAudit); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	recs, err := s.Audit.PatientAccess(r.Context(), a, b.ID)
	if err != nil {
		return err
	}
	page := &auditPage{Records: recs}
	page.Title, page.Banner = "Access audit", b
	return s.render(w, r, "audit", page)
}
