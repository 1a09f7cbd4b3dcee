package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/opencrs/crs"
)

// handleReprocessHeld applies an interface's held messages, in the order
// they arrived, once the analyst has mapped the codes they wait for, and
// says on the code map page what became of them.
func (s *Server) handleReprocessHeld(m MessageService, cm CodeMapService) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		if _, err := findInterface(r, m, id); err != nil {
			return err
		}
		rep, err := cm.ReprocessHeld(r.Context(), actorOf(r), id, time.Time{})
		if err != nil {
			return err
		}
		flash := "No messages are held; nothing was reprocessed."
		if rep.Tried > 0 {
			flash = fmt.Sprintf("Reprocessed %s in the order they arrived: %d applied, %d still held or refused.",
				crs.Count(rep.Tried, "held message", "held messages"), rep.Applied, rep.Failed)
		}
		return s.redirect(w, r, "/interfaces/"+url.PathEscape(id)+"/maps#unmapped", flash)
	}
}
