package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// resultWorklistPage is the data of the results worklist: the results
// waiting for a clinician to acknowledge them, abnormal first.
type resultWorklistPage struct {
	pageData
	Results []*crs.ResultReview
	Mine    bool // only the results the user ordered, and unsolicited ones
}

// handleResultWorklist lists the results of the trust no clinician has
// acknowledged yet, those with abnormal observations first.
func (s *Server) handleResultWorklist(w http.ResponseWriter, r *http.Request) error {
	if s.Reviews == nil {
		return errNoResults
	}
	page := &resultWorklistPage{Mine: r.URL.Query().Get("mine") == "1"}
	page.Title, page.Nav = "Results to acknowledge", "results"
	var err error
	if page.Results, err = s.Reviews.UnacknowledgedResults(r.Context(), actorOf(r), page.Mine); err != nil {
		return err
	}
	return s.render(w, r, "result_worklist", page)
}
