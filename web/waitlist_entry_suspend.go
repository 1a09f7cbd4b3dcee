package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleSuspendEntry records that the patient is unavailable for
// admission until a date, with the reason. The RTT clock does not pause.
func (s *Server) handleSuspendEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{Until: form(r, "until"), Reason: form(r, "reason")}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	if err := actorOf(r).Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	if page.Entry.Status != crs.ListWaiting {
		return crs.Errorf(crs.ECONFLICT, "Only a patient waiting on the list can be suspended; this entry is %s.", page.Entry.Status)
	}
	if page.Reason == "" {
		page.Errors.add("reason", "", "Say why the patient is unavailable")
	}
	until, msg := readDate(r, "until", "Unavailable until")
	switch {
	case msg != "":
		page.Errors.dateError("until", msg)
	case until.IsZero():
		page.Errors.dateError("until", "Enter the date until which the patient is unavailable")
	case !until.After(crs.LocalDate(s.now()).Time):
		page.Errors.dateError("until", "Unavailable until must be in the future")
	}
	return s.submit(w, r, formPost{name: "entry", page: page, order: []string{"until", "reason"}, fallback: "reason"}, func() (string, string, error) {
		err := s.WaitingList.Suspend(r.Context(), actorOf(r), page.Entry.ID, until, page.Reason)
		return "/waiting-list/" + page.Entry.ID, "Suspended until " + showDate(until) + "; the RTT clock keeps running", err
	})
}

// handleResumeEntry ends a suspension: the patient can be offered dates
// to come in again.
func (s *Server) handleResumeEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	if err := s.WaitingList.Resume(r.Context(), actorOf(r), page.Entry.ID); err != nil {
		return err
	}
	return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, "Available for admission again")
}
