package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// handleSpellAction carries out one of the spell's actions, named in the
// address: transfer, leave, return, discharge, consultant (a change of
// consultant), expected-discharge, cancel-admission, cancel-transfer or
// cancel-discharge.
func (s *Server) handleSpellAction(w http.ResponseWriter, r *http.Request) error {
	page := &spellPage{Place: form(r, "place"), Method: form(r, "method"), Dest: form(r, "destination"), At: form(r, "at"), Reason: form(r, "reason"),
		Consultant: strings.ToUpper(form(r, "consultant")), TF: form(r, "treatment_function"), From: form(r, "consultant_from"), Expected: form(r, "expected_discharge")}
	if err := s.loadSpell(r, page); err != nil {
		return err
	}
	a, ctx, id := actorOf(r), r.Context(), page.Spell.ID
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	fp := s.spellPost(r, page)
	switch action := r.PathValue("action"); action {
	case "consultant", "expected-discharge":
		if st := page.Spell.Status; st != crs.SpellAdmitted && st != crs.SpellOnLeave {
			return crs.Errorf(crs.ECONFLICT, "The spell has ended (%s).", st)
		}
		if action == "consultant" {
			return s.changeConsultant(w, r, page, fp)
		}
		return s.setExpectedDischarge(w, r, page, fp)
	}
	fp.fallback = "at"
	at, atMsg := readDateTime(r, "at", "Time", s.now())
	if atMsg != "" {
		page.Errors.dateError("at", atMsg)
		return s.submit(w, r, fp, nil) // the form has a problem: nothing is saved
	}
	var save func() error
	var msg string
	switch action := r.PathValue("action"); action {
	case "transfer":
		if page.Place == "" {
			page.Errors.add("place", "", "Choose the ward and bed to move to")
			break
		}
		t := crs.Transfer{At: at}
		t.WardID, t.BedID, _ = strings.Cut(page.Place, "/")
		save, msg = func() error { return s.Inpatients.Transfer(ctx, a, id, t) }, "Transferred"
	case "leave":
		save, msg = func() error { return s.Inpatients.StartLeave(ctx, a, id, at) }, "On leave; the bed is kept"
	case "return":
		save, msg = func() error { return s.Inpatients.EndLeave(ctx, a, id, at) }, "Back from leave"
	case "discharge":
		d := crs.Discharge{Method: page.Method, Destination: page.Dest, At: at}
		save, msg = func() error {
			if err := d.Validate(); err != nil {
				return err
			}
			return s.Inpatients.Discharge(ctx, a, id, d)
		}, "Discharged"
	case "cancel-admission", "cancel-transfer", "cancel-discharge":
		if page.Reason == "" {
			page.Errors.add("reason", "reason-"+action, "Say why it was entered in error")
			break
		}
		what := map[string]string{"cancel-admission": "admission", "cancel-transfer": "last transfer", "cancel-discharge": "discharge"}[action]
		if ok, err := s.confirmed(w, r, page.Banner, &confirmPage{Question: "Cancel the " + what + "?",
			Detail: "The " + what + " will be recorded as entered in error (" + page.Reason + ") and removed from the bed board, the census and the feeds to other systems.",
			Action: r.URL.Path, Yes: "Yes, cancel the " + what, Back: "/spells/" + id}); !ok {
			return err
		}
		switch action {
		case "cancel-admission":
			save, msg = func() error { return s.Inpatients.CancelAdmission(ctx, a, id, page.Reason) }, "Admission cancelled"
		case "cancel-transfer":
			save, msg = func() error { return s.Inpatients.CancelTransfer(ctx, a, id, page.Reason) }, "Transfer cancelled"
		default:
			save, msg = func() error { return s.Inpatients.CancelDischarge(ctx, a, id, page.Reason) }, "Discharge cancelled"
		}
	default:
		return errNoPage
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := save()
		return "/spells/" + id, msg, err
	})
}

// changeConsultant passes the patient's care to another consultant: a
// new consultant episode from the time given (HL7 A54). fp is the spell
// page's answer to the form (spellPost).
func (s *Server) changeConsultant(w http.ResponseWriter, r *http.Request, page *spellPage, fp formPost) error {
	if page.Consultant == "" {
		page.Errors.add("consultant", "", "Enter the code of the consultant taking over, for example C7654321")
	} else if !crs.ValidConsultantCode(page.Consultant) {
		page.Errors.add("consultant", "", "Consultant code must be 2 to 10 capital letters or digits, for example C7654321")
	}
	from, msg := readDateTime(r, "consultant_from", "From", s.now())
	page.Errors.dateError("consultant_from", msg)
	fp.order, fp.names, fp.fallback = []string{"consultant", "treatment_function", "consultant_from"}, map[string]string{"at": "consultant_from"}, "consultant"
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Inpatients.ChangeConsultant(r.Context(), actorOf(r), page.Spell.ID, page.Consultant, page.TF, from)
		return "/spells/" + page.Spell.ID, "Care passed to " + page.Consultant + ": a new consultant episode", err
	})
}

// setExpectedDischarge records (or, left empty, clears) the date the
// patient is expected to go home (HL7 A08). fp is the spell page's
// answer to the form (spellPost).
func (s *Server) setExpectedDischarge(w http.ResponseWriter, r *http.Request, page *spellPage, fp formPost) error {
	d, msg := readDate(r, "expected_discharge", "Expected date of discharge")
	page.Errors.dateError("expected_discharge", msg)
	fp.fallback = "expected_discharge"
	return s.submit(w, r, fp, func() (string, string, error) {
		msg := "Expected discharge cleared"
		if !d.IsZero() {
			msg = "Expected discharge " + showDate(d)
		}
		err := s.Inpatients.SetExpectedDischarge(r.Context(), actorOf(r), page.Spell.ID, d)
		return "/spells/" + page.Spell.ID, msg, err
	})
}
