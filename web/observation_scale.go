package web

import (
	"net/http"
	"net/url"
)

// handleObservationsScale puts the patient on NEWS2 SpO2 scale 2 or
// takes them off it: a clinician's decision, with its reason.
func (s *Server) handleObservationsScale(w http.ResponseWriter, r *http.Request) error {
	page := &observationsPage{}
	if err := s.observationsPage(r, page); err != nil {
		return err
	}
	on := form(r, "scale") == "2"
	fp := formPost{name: "observations", page: page, names: map[string]string{"reason": "scale_reason"}, fallback: "scale_reason"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Observations.SetSpO2Scale2(r.Context(), actorOf(r), page.Banner.ID, on, form(r, "reason"))
		msg := "Patient taken off SpO2 scale 2: SpO2 is scored on scale 1"
		if on {
			msg = "Patient put on SpO2 scale 2 (target saturation 88-92%)"
		}
		return "/patients/" + url.PathEscape(page.Banner.ID) + "/observations", msg, err
	})
}
