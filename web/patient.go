package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// patientPage is the data of a patient's record page.
type patientPage struct {
	pageData
	Patient *crs.Patient
}

// handlePatient shows a patient's record: the banner, demographics,
// contacts, and the actions the user's role allows.
func (s *Server) handlePatient(w http.ResponseWriter, r *http.Request) error {
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &patientPage{Patient: p}
	page.Title, page.Banner = "Patient record", b
	return s.render(w, r, "patient", page)
}
