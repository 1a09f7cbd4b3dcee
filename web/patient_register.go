package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// registerPage is the data of the register page.
type registerPage struct {
	pageData
	Form       patientForm
	Duplicates []crs.PatientMatch // likely duplicates the clerk must look at before registering
}

// handleRegisterForm shows the empty registration form.
func (s *Server) handleRegisterForm(w http.ResponseWriter, r *http.Request) error {
	if err := actorOf(r).Authorize(crs.ActRegisterPatient); err != nil {
		return err
	}
	p := &registerPage{}
	p.Title, p.Nav = "Register a patient", "register"
	return s.render(w, r, "register", p)
}

// handleRegister registers a patient. The input is checked first; then
// the index is searched for likely duplicates, which the clerk must see
// and dismiss ("None of these") before a new record is made.
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRegisterPatient); err != nil {
		return err
	}
	page := &registerPage{Form: readPatientForm(r)}
	page.Title, page.Nav = "Register a patient", "register"
	page.Form.Version = ""
	p := &crs.Patient{}
	page.Form.apply(p, &page.Errors)
	s.check(p, &page.Errors)
	if !page.Errors.Any() && r.PostFormValue("confirm") != "1" {
		dups, err := s.Patients.FindDuplicates(r.Context(), a, p)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			page.Duplicates = dups
			page.Title = "Possible duplicate: register a patient"
			return s.render(w, r, "register", page)
		}
	}
	return s.submit(w, r, formPost{name: "register", page: page, order: patientFields, anchors: patientAnchors}, func() (string, string, error) {
		err := s.Patients.RegisterPatient(r.Context(), a, p)
		return "/patients/" + p.ID, "Registered with hospital number " + p.MRN, err
	})
}
