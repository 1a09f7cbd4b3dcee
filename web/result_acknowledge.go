package web

import (
	"net/http"
	"strings"
)

// handleAcknowledgeResult records that the clinician has seen a result
// and acted on it, then goes back to where they acknowledged it from.
func (s *Server) handleAcknowledgeResult(w http.ResponseWriter, r *http.Request) error {
	if s.Reviews == nil {
		return errNoResults
	}
	if err := s.Reviews.AcknowledgeResult(r.Context(), actorOf(r), r.PathValue("report")); err != nil {
		return err
	}
	back := form(r, "back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/results/worklist"
	}
	return s.redirect(w, r, back, "Result acknowledged")
}
