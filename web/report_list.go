package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// reportsPage is the data of the information analyst's area.
type reportsPage struct {
	pageData
	Month, Quarter, Census string
	Submissions            []*crs.ReportSubmission
}

// needAnalyst checks the analyst's area is served and the user may see
// reports.
func (s *Server) needAnalyst(r *http.Request) error {
	if s.Reports == nil || s.Submissions == nil {
		return errNoJourney
	}
	return actorOf(r).Authorize(crs.ActViewReports)
}

// handleReports shows the returns an analyst can produce, a period for
// each, and the history of the returns generated.
func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) error {
	if err := s.needAnalyst(r); err != nil {
		return err
	}
	page := &reportsPage{}
	page.Title, page.Nav = "Statutory returns", "reports"
	today := crs.LocalDate(s.now())
	last := today.AddDate(0, -1, 0)
	page.Month, page.Census = last.Format("2006-01"), today.AddDate(0, 0, -today.Day()).Format("2006-01-02")
	page.Quarter = quarterOf(last)
	subs, err := s.Submissions.Submissions(r.Context(), actorOf(r), 50)
	if err != nil {
		return err
	}
	page.Submissions = subs
	return s.render(w, r, "reports", page)
}
