package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// spellPage is the data of an inpatient spell's page.
type spellPage struct {
	pageData
	Spell                   *crs.Spell
	Entry                   *crs.WaitingListEntry // the waiting list entry admitted from, if any
	Wards                   []*crs.BedBoardWard
	Places                  map[string]string // location id → code
	Place, Method, Dest, At string
	Reason                  string
	Consultant, TF, From    string // the change of consultant form
	Expected                string // the expected discharge form

	NotDoneReason, NotDoneNote string // the procedure not carried out form
}

func (s *Server) loadSpell(r *http.Request, page *spellPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	sp, err := s.Inpatients.FindSpell(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.patientBanner(r, sp.PatientID)
	if err != nil {
		return err
	}
	page.Spell, page.Banner, page.Title = sp, b, "Inpatient spell"
	if sp.EntryID != "" && s.WaitingList != nil {
		// a role that may not read the waiting list sees the spell without it
		if page.Entry, err = s.WaitingList.FindWaitingListEntry(r.Context(), a, sp.EntryID); err != nil && crs.ErrorCode(err) != crs.EFORBIDDEN {
			return err
		}
	}
	return nil
}

// loadSpellWards reads the wards and beds the spell page names and its
// transfer offers, each time the page is shown: after a refusal (a bed
// another user took first) the form then offers the beds as they are
// now, not as they were before the refused change.
func (s *Server) loadSpellWards(r *http.Request, page *spellPage) (err error) {
	if page.Wards, err = s.Inpatients.WardBeds(r.Context(), actorOf(r)); err != nil {
		return err
	}
	page.Places = map[string]string{}
	for _, w := range page.Wards {
		page.Places[w.WardID] = w.WardCode + " " + w.WardName
		for _, bed := range w.Beds {
			page.Places[bed.BedID] = bed.BedCode
		}
	}
	return nil
}

// spellPost is the spell page's answer to one of its forms: shown again
// after a problem, the page reads the wards and beds afresh
// (loadSpellWards). Each form adds its fields' order and where a refusal
// that names no field goes.
func (s *Server) spellPost(r *http.Request, page *spellPage) formPost {
	return formPost{name: "spell", page: page, reload: func() error { return s.loadSpellWards(r, page) }}
}

// handleSpell shows a spell: where the patient is, the stays and
// episodes, and the forms to transfer, send on leave, change the
// consultant, set the expected discharge, discharge or undo.
func (s *Server) handleSpell(w http.ResponseWriter, r *http.Request) error {
	page := &spellPage{}
	if err := s.loadSpell(r, page); err != nil {
		return err
	}
	if err := s.loadSpellWards(r, page); err != nil {
		return err
	}
	if d := page.Spell.ExpectedDischarge; !d.IsZero() {
		page.Expected = d.String()
	}
	page.TF = page.Spell.TreatmentFunction
	return s.render(w, r, "spell", page)
}

// undoForm is the data of a cancel-in-error form of the spell page.
type undoForm struct{ ID, Action, Label, CSRF string }

func init() {
	funcs["undo"] = func(p *spellPage, action, label string) undoForm {
		return undoForm{ID: p.Spell.ID, Action: action, Label: label, CSRF: p.CSRFToken}
	}
}
