package web

import (
	"net/http"
	"net/url"
)

// handleObservationsInError marks a set of observations entered in
// error, with the reason given; without one the page is shown again
// with the problem beside the set's reason.
func (s *Server) handleObservationsInError(w http.ResponseWriter, r *http.Request) error {
	page := &observationsPage{ErrorSet: r.PathValue("set")}
	if err := s.observationsPage(r, page); err != nil {
		return err
	}
	fp := formPost{name: "observations", page: page, names: map[string]string{"reason": "error_reason"},
		anchors: map[string]string{"error_reason": "error_reason-" + page.ErrorSet}, fallback: "error_reason"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Observations.MarkVitalSignsInError(r.Context(), actorOf(r), page.Banner.ID, page.ErrorSet, form(r, "reason"))
		return "/patients/" + url.PathEscape(page.Banner.ID) + "/observations", "Observations marked as entered in error", err
	})
}
