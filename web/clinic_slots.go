package web

import (
	"fmt"
	"net/http"

	"github.com/opencrs/crs"
)

// handleGenerateSlots makes the clinic's bookable slots from its weekly
// sessions for the dates from..to; slots already made are kept.
func (s *Server) handleGenerateSlots(w http.ResponseWriter, r *http.Request) error {
	page := &clinicPage{From: form(r, "from"), To: form(r, "to")}
	if err := s.loadClinic(r, page); err != nil {
		return err
	}
	from, msg := readDate(r, "from", "First date")
	if msg == "" && from.IsZero() {
		msg = "Enter the first date"
	}
	page.Errors.dateError("from", msg)
	to, msg := readDate(r, "to", "Last date")
	if msg == "" && to.IsZero() {
		msg = "Enter the last date"
	}
	page.Errors.dateError("to", msg)
	return s.submit(w, r, formPost{name: "clinic", page: page, order: []string{"from", "to"}, fallback: "from"}, func() (string, string, error) {
		n, err := s.Outpatients.GenerateSlots(r.Context(), actorOf(r), page.Clinic.ID, from, to)
		return "/clinics/" + page.Clinic.ID + "?date=" + from.String(),
			fmt.Sprintf("%s made from %s to %s", crs.Count(n, "slot", "slots"), showDate(from), showDate(to)), err
	})
}
