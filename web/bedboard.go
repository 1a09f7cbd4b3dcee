package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// bedBoardPage is the data of the bed board.
type bedBoardPage struct {
	pageData
	Wards []*crs.BedBoardWard
}

// handleBedBoard shows every ward's beds, occupied or free, with the
// patient and expected discharge. It is live: the page listens on
// /live?topic=beds and fetches ?partial=1 (the board alone) when a bed
// changes; without the script the Refresh link reloads it.
func (s *Server) handleBedBoard(w http.ResponseWriter, r *http.Request) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	wards, err := s.Inpatients.BedBoard(r.Context(), actorOf(r))
	if err != nil {
		return err
	}
	page := &bedBoardPage{Wards: wards}
	page.Title, page.Nav = "Bed board", "beds"
	if r.URL.Query().Get("partial") == "1" {
		return s.renderPartial(w, r, "bedboard", "board", page)
	}
	return s.render(w, r, "bedboard", page)
}
