package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// resultPage is the data of one result's page: the current version and
// the versions it replaced.
type resultPage struct {
	pageData
	Patient  *crs.Patient
	Result   *crs.Result   // the current version
	Versions []*crs.Result // every version, the current one first
}

// handleResult shows one result of the patient's record with its history:
// each earlier version (a preliminary, a value since corrected) below the
// current one.
func (s *Server) handleResult(w http.ResponseWriter, r *http.Request) error {
	if s.Results == nil {
		return errNoResults
	}
	p, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &resultPage{Patient: p}
	page.Title, page.Banner = "Result", b
	if page.Versions, err = s.Results.ResultHistory(r.Context(), actorOf(r), p.ID, r.PathValue("result")); err != nil {
		return err
	}
	page.Result = page.Versions[0]
	return s.render(w, r, "result", page)
}
