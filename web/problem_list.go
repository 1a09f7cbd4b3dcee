package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// problemsPage is the data of a patient's problem list.
type problemsPage struct {
	pageData
	Problems []*crs.Problem
}

// needClinicalLists refuses a problem, allergy or timeline page when the
// service is not set up, or the user may not view the clinical record.
func (s *Server) needClinicalLists(r *http.Request) error {
	if s.Problems == nil || s.Allergies == nil || s.Terminology == nil {
		return errNoClinicalLists
	}
	return actorOf(r).Authorize(crs.ActViewClinical)
}

// handleProblems lists the patient's problems and diagnoses: those going
// on first, then past ones, then those entered in error, struck through.
func (s *Server) handleProblems(w http.ResponseWriter, r *http.Request) error {
	if err := s.needClinicalLists(r); err != nil {
		return err
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &problemsPage{}
	page.Title, page.Banner = "Problems and diagnoses", b
	if page.Problems, err = s.Problems.ListProblems(r.Context(), actorOf(r), b.ID); err != nil {
		return err
	}
	return s.render(w, r, "problems", page)
}
