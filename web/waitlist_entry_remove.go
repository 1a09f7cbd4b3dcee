package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleRemoveEntry takes the patient off the waiting list with a reason.
func (s *Server) handleRemoveEntry(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{RemovalReason: form(r, "removal_reason"), Note: form(r, "note"), RemovalStatus: form(r, "rtt_status")}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	rm := crs.Removal{Reason: page.RemovalReason, Note: page.Note}
	if page.RemovalReason == "" {
		page.Errors.add("removal_reason", "removal_reason-1", "Choose why the patient is removed from the list")
	}
	if page.RemovalStatus != "" {
		st, err := parseRTT(page.RemovalStatus)
		if err != nil {
			page.Errors.add("rtt_status", "", "Choose an RTT status from the list")
		}
		rm.RTTStatus = st
	}
	if !page.Errors.Any() {
		err := s.WaitingList.RemoveFromWaitingList(r.Context(), actorOf(r), page.Entry.ID, rm)
		if err == nil {
			return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, "Removed from the waiting list")
		}
		if !serviceErrors(&page.Errors, err, map[string]string{"reason": "removal_reason-1"}, "removal_reason") {
			return err
		}
	}
	return s.reshow(w, r, "entry", page, nil)
}
