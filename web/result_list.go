package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// errNoResults is the error of a result page on a server set up without
// the clinical record's reads.
var errNoResults = crs.Errorf(crs.ENOTFOUND, "Results are not switched on in this service.")

// resultsPage is the data of the list of a patient's results.
type resultsPage struct {
	pageData
	Patient *crs.Patient
	Results []*crs.Result
}

// handleResults lists the results other systems filed to the patient's
// record, the current version of each order, newest first, with their
// values, flags and ranges.
func (s *Server) handleResults(w http.ResponseWriter, r *http.Request) error {
	if s.Results == nil {
		return errNoResults
	}
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &resultsPage{Patient: p}
	page.Title, page.Banner = "Results", b
	if page.Results, err = s.Results.FindResults(r.Context(), actorOf(r), p.ID); err != nil {
		return err
	}
	return s.render(w, r, "results", page)
}
