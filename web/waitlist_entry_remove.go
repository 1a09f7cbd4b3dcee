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
	rm.RTTStatus = readRTT(&page.Errors, "rtt_status", page.RemovalStatus)
	fp := formPost{name: "entry", page: page, anchors: map[string]string{"reason": "removal_reason-1"}, fallback: "removal_reason"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.WaitingList.RemoveFromWaitingList(r.Context(), actorOf(r), page.Entry.ID, rm)
		return "/waiting-list/" + page.Entry.ID, "Removed from the waiting list", err
	})
}
