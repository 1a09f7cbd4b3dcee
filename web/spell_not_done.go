package web

import (
	"net/http"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// notDoneCodes lists the reasons a procedure was not carried out, for the
// radios of the spell page.
func notDoneCodes() []nhs.Code {
	out := make([]nhs.Code, 0, len(crs.NotDoneReasons))
	for _, c := range []string{crs.NotDoneHospital, crs.NotDoneUnfit, crs.NotDonePatient, crs.NotDoneOther} {
		out = append(out, nhs.Code{Code: c, Description: crs.NotDoneReasons[c]})
	}
	return out
}

func init() {
	funcs["notDoneReasons"] = notDoneCodes
	funcs["notDoneReason"] = func(c string) string { return crs.NotDoneReasons[c] }
}

// handleSpellNotDone records that the patient, admitted from the waiting
// list for first definitive treatment, went without the intended
// procedure (RTT guidance s4.3.2.3): the clock runs on and the patient is
// back on the waiting list for a new date to come in.
func (s *Server) handleSpellNotDone(w http.ResponseWriter, r *http.Request) error {
	page := &spellPage{NotDoneReason: form(r, "not_done_reason"), NotDoneNote: form(r, "not_done_note")}
	if err := s.loadSpell(r, page); err != nil {
		return err
	}
	p := crs.ProcedureNotDone{Reason: page.NotDoneReason, Note: page.NotDoneNote}
	fp := s.spellPost(r, page)
	fp.order, fp.fallback = []string{"not_done_reason", "not_done_note"}, "not_done_reason"
	fp.anchors = map[string]string{"not_done_reason": "not_done_reason-" + crs.NotDoneHospital}
	fp.check(p.Validate())
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Inpatients.ProcedureNotCarriedOut(r.Context(), actorOf(r), page.Spell.ID, p)
		return "/spells/" + page.Spell.ID, "Recorded: procedure not carried out; the RTT clock runs on and the patient is back on the waiting list", err
	})
}
