package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// goLivePage is the data of the programme board's go / no-go page: the
// run of the check shown (the latest, or the one asked for) with every
// criterion, and the history of the runs.
type goLivePage struct {
	pageData
	Check   *crs.GoLiveCheck
	Latest  bool
	History []*crs.GoLiveCheck
}

// handleGoLive shows the latest run of `crs golive check`, or the run
// ?check= names, with its criteria, and the earlier runs.
func (s *Server) handleGoLive(w http.ResponseWriter, r *http.Request) error {
	if s.GoLive == nil {
		return errNoJourney
	}
	a := actorOf(r)
	if !a.Can(crs.ActViewReports) && !a.Can(crs.ActAdministerSettings) {
		return a.Authorize(crs.ActViewReports)
	}
	page := &goLivePage{}
	page.Title, page.Nav = "Go-live: go / no-go", "golive"
	hist, err := s.GoLive.GoLiveChecks(r.Context(), a, 100)
	if err != nil {
		return err
	}
	page.History = hist
	id := r.URL.Query().Get("check")
	if id == "" && len(hist) > 0 {
		id, page.Latest = hist[0].ID, true
	}
	if id != "" {
		if page.Check, err = s.GoLive.GoLiveCheck(r.Context(), a, id); err != nil {
			return err
		}
		page.Latest = page.Latest || id == hist[0].ID
	}
	return s.render(w, r, "golive", page)
}
