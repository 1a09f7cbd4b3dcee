package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// summaryDue is how long after discharge a summary must be sent.
const summaryDue = 24 * time.Hour

// overduePage is the data of the ward's list of discharges without a
// sent summary after 24 hours.
type overduePage struct {
	pageData
	Ward      string
	Summaries []*crs.DischargeSummary
	Now       time.Time
}

// handleOverdueSummaries lists the discharges from a ward (or every
// ward) more than 24 hours ago whose summary is not yet signed and sent,
// longest waiting first.
func (s *Server) handleOverdueSummaries(w http.ResponseWriter, r *http.Request) error {
	if s.Summaries == nil {
		return errNoResults
	}
	page := &overduePage{Ward: strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("ward"))), Now: s.now()}
	page.Title, page.Nav = "Discharge summaries not sent", "summaries"
	var err error
	if page.Summaries, err = s.Summaries.OverdueSummaries(r.Context(), actorOf(r), page.Ward, summaryDue); err != nil {
		return err
	}
	return s.render(w, r, "summary_overdue", page)
}
