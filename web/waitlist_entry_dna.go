package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleEntryDNA records that the patient did not come in on the agreed
// date, without notice: a DNA on the pathway that leaves the clock
// running (a later DNA stops it only through a clinical decision to
// discharge back to the GP, rule 5f; the first activity after the
// referral missed nullifies it, rule 5e); the patient stays on the list
// for a new offer. The message says which.
func (s *Server) handleEntryDNA(w http.ResponseWriter, r *http.Request) error {
	page := &entryPage{}
	if err := s.loadEntry(r, page); err != nil {
		return err
	}
	if err := s.WaitingList.RecordTCIDNA(r.Context(), actorOf(r), page.Entry.ID); err != nil {
		return err
	}
	msg := "Recorded: did not come in on " + page.Entry.TCIDate.Display()
	if page.Entry.PathwayID == "" { // not on an RTT pathway
		return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, msg)
	}
	pc, err := s.Referrals.PathwayClock(r.Context(), actorOf(r), page.Entry.PathwayID, crs.Date{})
	switch {
	case err != nil:
		return err
	case pc.Clock.Nullified:
		msg += "; it was the first activity after the referral, so the RTT clock is nullified (rule 5e)"
	case pc.Clock.Running:
		msg += "; the RTT clock keeps running. Offer new dates, or a clinician may decide to discharge the patient back to the GP (rule 5f)"
	}
	return s.redirect(w, r, "/waiting-list/"+page.Entry.ID, msg)
}
