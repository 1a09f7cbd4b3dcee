package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// allergiesPage is the data of a patient's allergies and adverse
// reactions, with the action to record that they have none known.
type allergiesPage struct {
	pageData
	Allergies []*crs.Allergy
	Standing  bool // an active allergy stands: no known allergies cannot be recorded
}

func (s *Server) allergiesPage(r *http.Request, page *allergiesPage) error {
	if err := s.needClinicalLists(r); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page.Title, page.Banner = "Allergies and adverse reactions", b
	if page.Allergies, err = s.Allergies.ListAllergies(r.Context(), actorOf(r), b.ID); err != nil {
		return err
	}
	for _, al := range page.Allergies {
		if al.Current() && !al.NoKnownAllergies {
			page.Standing = true
		}
	}
	return nil
}

// handleAllergies lists the patient's allergies, adverse reactions and no
// known allergies statements: the current ones first, the most critical
// first among them, then past ones, then those entered in error.
func (s *Server) handleAllergies(w http.ResponseWriter, r *http.Request) error {
	page := &allergiesPage{}
	if err := s.allergiesPage(r, page); err != nil {
		return err
	}
	return s.render(w, r, "allergies", page)
}

// handleNoKnownAllergies records that the patient has no known allergies,
// as a dated statement of its own; refused beside the button while an
// active allergy stands.
func (s *Server) handleNoKnownAllergies(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	page := &allergiesPage{}
	if err := s.allergiesPage(r, page); err != nil {
		return err
	}
	fp := formPost{name: "allergies", page: page, fallback: "no_known_allergies",
		reload: func() error { return s.allergiesPage(r, page) }}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Allergies.RecordAllergy(r.Context(), a, &crs.Allergy{Entry: crs.Entry{PatientID: page.Banner.ID}, NoKnownAllergies: true, Note: form(r, "note")})
		return "/patients/" + page.Banner.ID + "/allergies", "No known allergies recorded", err
	})
}
