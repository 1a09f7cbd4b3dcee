package web

import (
	"fmt"
	"net/http"

	"github.com/opencrs/crs"
)

// codingWorklistPage is the data of the clinical coder's worklist.
type codingWorklistPage struct {
	pageData
	Episodes     []*crs.CodingEpisode
	Completeness *crs.CodingCompleteness
	Month        string
}

// handleCodingWorklist lists the finished consultant episodes not yet
// coded, those that ended longest ago first, each linking to its coding
// form, with the coding completeness of a month (?month=YYYY-MM, this
// month by default).
func (s *Server) handleCodingWorklist(w http.ResponseWriter, r *http.Request) error {
	if s.Coding == nil {
		return errNoPage
	}
	a := actorOf(r)
	page := &codingWorklistPage{Month: r.URL.Query().Get("month")}
	if page.Month == "" {
		page.Month = crs.LocalDate(s.now()).Format("2006-01")
	}
	page.Title, page.Nav = "Clinical coding", "coding"
	var err error
	if page.Episodes, err = s.Coding.Worklist(r.Context(), a, 200); err != nil {
		return err
	}
	if a.Can(crs.ActViewReports) {
		c, err := s.Coding.Completeness(r.Context(), a, page.Month)
		if crs.ErrorCode(err) == crs.EINVALID {
			page.Errors.add("month", "", crs.ErrorMessage(err))
		} else if err != nil {
			return err
		}
		page.Completeness = c
	}
	return s.render(w, r, "coding_worklist", page)
}

func init() {
	funcs["share"] = func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
}
