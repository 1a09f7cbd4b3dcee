package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// clinicsPage is the data of the clinic list and its create a clinic
// form (shown to those who set up clinics).
type clinicsPage struct {
	pageData
	Clinics []*crs.Clinic
	Rooms   []*crs.Location // the trust's clinic rooms, for the create form
	Form    clinicForm
}

// loadClinics reads the trust's clinics and, for those who set clinics
// up, its clinic rooms.
func (s *Server) loadClinics(r *http.Request, page *clinicsPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	if err := canSeeClinics(a); err != nil {
		return err
	}
	cs, err := s.Outpatients.FindClinics(r.Context(), a)
	if err != nil {
		return err
	}
	page.Clinics = cs
	page.Title, page.Nav = "Clinics", "clinics"
	page.Rooms, err = s.clinicRooms(r)
	return err
}

// handleClinics lists the trust's outpatient clinics.
func (s *Server) handleClinics(w http.ResponseWriter, r *http.Request) error {
	page := &clinicsPage{Form: clinicForm{SlotMinutes: "15", SlotType: crs.SlotNew}}
	if err := s.loadClinics(r, page); err != nil {
		return err
	}
	return s.render(w, r, "clinics", page)
}
