package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// trackingPage is the data of the A&E tracking board.
type trackingPage struct {
	pageData
	Rows []*crs.TrackingRow
}

// handleTrackingBoard shows every patient in the department with the
// time since arrival, amber at 3 hours and red at 4 (with words, not only
// colour), and the 12 hours from decision to admit. It is live like the
// bed board.
func (s *Server) handleTrackingBoard(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	rows, err := s.ED.TrackingBoard(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	page := &trackingPage{Rows: rows}
	page.Title, page.Nav = "A&E tracking board", "ed"
	if r.URL.Query().Get("partial") == "1" {
		return s.renderPartial(w, r, "ed_board", "board", page)
	}
	return s.render(w, r, "ed_board", page)
}
