package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// admitForm is the admission form as typed.
type admitForm struct {
	EntryID, PreadmissionID, EDID, Method, Source, Place, Consultant, TF, Expected, At string
}

var admitFields = []string{"method", "source", "place", "consultant", "treatment_function", "expected_discharge", "at"}
var admitAnchors = map[string]string{"patient": "method"}

// admitPage is the data of the admission page.
type admitPage struct {
	pageData
	Form    admitForm
	Wards   []*crs.BedBoardWard
	Entry   *crs.WaitingListEntry
	Planned *crs.Preadmission // the planned admission being admitted, if any
}

func (s *Server) loadAdmit(r *http.Request, page *admitPage) error {
	if err := s.needJourney(); err != nil {
		return err
	}
	a := actorOf(r)
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		return err
	}
	page.Banner, page.Title = b, "Admit"
	if page.Form.PreadmissionID != "" {
		if page.Planned, err = s.Inpatients.FindPreadmission(r.Context(), a, page.Form.PreadmissionID); err != nil {
			return err
		}
		if page.Planned.PatientID != b.ID {
			return crs.Errorf(crs.ENOTFOUND, "That planned admission is not this patient's.")
		}
		if page.Form.EntryID == "" {
			page.Form.EntryID = page.Planned.EntryID
		}
	}
	if page.Form.EntryID != "" {
		if page.Entry, err = s.WaitingList.FindWaitingListEntry(r.Context(), a, page.Form.EntryID); err != nil {
			return err
		}
		if page.Entry.PatientID != b.ID {
			return crs.Errorf(crs.ENOTFOUND, "That waiting list entry is not this patient's.")
		}
	}
	if page.Form.EDID != "" {
		e, err := s.ED.FindAttendance(r.Context(), a, page.Form.EDID)
		if err != nil {
			return err
		}
		if e.PatientID != b.ID {
			return crs.Errorf(crs.ENOTFOUND, "That A&E attendance is not this patient's.")
		}
	}
	page.Wards, err = s.Inpatients.BedBoard(r.Context(), a)
	return err
}

// handleAdmitForm shows the admission form: from the waiting list
// (?entry=), a planned admission (?preadmission=), from A&E (?ed=), or an
// emergency, maternity or transfer-in admission.
func (s *Server) handleAdmitForm(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page := &admitPage{Form: admitForm{EntryID: q.Get("entry"), PreadmissionID: q.Get("preadmission"), EDID: q.Get("ed"), Source: "19", Method: "21"}}
	if err := s.loadAdmit(r, page); err != nil {
		return err
	}
	if e := page.Entry; e != nil {
		page.Form.Method, page.Form.Consultant, page.Form.TF = "11", e.ConsultantCode, e.TreatmentFunction
	}
	if p := page.Planned; p != nil {
		page.Form.Method, page.Form.Place = p.AdmissionMethod, p.WardID
		if p.ConsultantCode != "" {
			page.Form.Consultant = p.ConsultantCode
		}
		if p.TreatmentFunction != "" {
			page.Form.TF = p.TreatmentFunction
		}
	}
	return s.render(w, r, "admit", page)
}

// handleAdmit admits the patient to a ward and bed under a consultant.
func (s *Server) handleAdmit(w http.ResponseWriter, r *http.Request) error {
	f := admitForm{EntryID: form(r, "entry"), PreadmissionID: form(r, "preadmission"), EDID: form(r, "ed"), Method: form(r, "method"), Source: form(r, "source"),
		Place: form(r, "place"), Consultant: strings.ToUpper(form(r, "consultant")), TF: form(r, "treatment_function"),
		Expected: form(r, "expected_discharge"), At: form(r, "at")}
	page := &admitPage{Form: f}
	if err := s.loadAdmit(r, page); err != nil {
		return err
	}
	ad := &crs.Admission{PatientID: page.Banner.ID, EntryID: f.EntryID, PreadmissionID: f.PreadmissionID, EDAttendanceID: f.EDID, Method: f.Method, Source: f.Source,
		ConsultantCode: f.Consultant, TreatmentFunction: f.TF}
	ad.WardID, ad.BedID, _ = strings.Cut(f.Place, "/")
	if d, ok := parseDay(f.Expected); ok {
		ad.ExpectedDischarge = d
	} else {
		page.Errors.add("expected_discharge", "", "Expected discharge must be a real date, for example 2026-03-09")
	}
	if t, ok := parseWhen(f.At, s.now()); ok {
		ad.At = t
	} else {
		page.Errors.add("at", "", "Time admitted must be a real date and time, for example 2026-03-02 09:15, or empty for now")
	}
	if err := ad.Validate(); err != nil {
		serviceErrors(&page.Errors, err, admitAnchors, "place")
	}
	if !page.Errors.Any() {
		sp, err := s.Inpatients.Admit(r.Context(), actorOf(r), ad)
		if err == nil {
			return s.redirect(w, r, "/spells/"+sp.ID, "Admitted")
		}
		if !serviceErrors(&page.Errors, err, admitAnchors, "place") {
			return err
		}
	}
	return s.reshow(w, r, "admit", page, admitFields)
}

// spellPage is the data of an inpatient spell's page.
type spellPage struct {
	pageData
	Spell                   *crs.Spell
	Wards                   []*crs.BedBoardWard
	Places                  map[string]string // location id → code
	Place, Method, Dest, At string
	Reason                  string
	Consultant, TF, From    string // the change of consultant form
	Expected                string // the expected discharge form
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
	if page.Wards, err = s.Inpatients.BedBoard(r.Context(), a); err != nil {
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

// handleSpell shows a spell: where the patient is, the stays and
// episodes, and the forms to transfer, send on leave, change the
// consultant, set the expected discharge, discharge or undo.
func (s *Server) handleSpell(w http.ResponseWriter, r *http.Request) error {
	page := &spellPage{}
	if err := s.loadSpell(r, page); err != nil {
		return err
	}
	if d := page.Spell.ExpectedDischarge; !d.IsZero() {
		page.Expected = d.String()
	}
	page.TF = page.Spell.TreatmentFunction
	return s.render(w, r, "spell", page)
}

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
	switch action := r.PathValue("action"); action {
	case "consultant", "expected-discharge":
		if st := page.Spell.Status; st != crs.SpellAdmitted && st != crs.SpellOnLeave {
			return crs.Errorf(crs.ECONFLICT, "The spell has ended (%s).", st)
		}
		if action == "consultant" {
			return s.changeConsultant(w, r, page)
		}
		return s.setExpectedDischarge(w, r, page)
	}
	at, ok := parseWhen(page.At, s.now())
	if !ok {
		page.Errors.add("at", "", "The time must be a real date and time, for example 2026-03-02 09:15, or empty for now")
		return s.reshow(w, r, "spell", page, nil)
	}
	var err error
	var msg string
	anchors := map[string]string{}
	switch action := r.PathValue("action"); action {
	case "transfer":
		if page.Place == "" {
			page.Errors.add("place", "", "Choose the ward and bed to move to")
			break
		}
		t := crs.Transfer{At: at}
		t.WardID, t.BedID, _ = strings.Cut(page.Place, "/")
		err, msg = s.Inpatients.Transfer(ctx, a, id, t), "Transferred"
	case "leave":
		err, msg = s.Inpatients.StartLeave(ctx, a, id, at), "On leave; the bed is kept"
	case "return":
		err, msg = s.Inpatients.EndLeave(ctx, a, id, at), "Back from leave"
	case "discharge":
		d := crs.Discharge{Method: page.Method, Destination: page.Dest, At: at}
		if err = d.Validate(); err == nil {
			err = s.Inpatients.Discharge(ctx, a, id, d)
		}
		msg = "Discharged"
	case "cancel-admission", "cancel-transfer", "cancel-discharge":
		if page.Reason == "" {
			page.Errors.add("reason", "reason-"+action, "Say why it was entered in error")
			break
		}
		switch action {
		case "cancel-admission":
			err, msg = s.Inpatients.CancelAdmission(ctx, a, id, page.Reason), "Admission cancelled"
		case "cancel-transfer":
			err, msg = s.Inpatients.CancelTransfer(ctx, a, id, page.Reason), "Transfer cancelled"
		default:
			err, msg = s.Inpatients.CancelDischarge(ctx, a, id, page.Reason), "Discharge cancelled"
		}
	default:
		return errNoPage
	}
	if err == nil && !page.Errors.Any() {
		return s.redirect(w, r, "/spells/"+id, msg)
	}
	if err != nil && !serviceErrors(&page.Errors, err, anchors, "at") {
		return err
	}
	return s.reshow(w, r, "spell", page, nil)
}

// changeConsultant passes the patient's care to another consultant: a
// new consultant episode from the time given (HL7 A54).
func (s *Server) changeConsultant(w http.ResponseWriter, r *http.Request, page *spellPage) error {
	if page.Consultant == "" {
		page.Errors.add("consultant", "", "Enter the code of the consultant taking over, for example C7654321")
	} else if !crs.ValidConsultantCode(page.Consultant) {
		page.Errors.add("consultant", "", "Consultant code must be 2 to 10 capital letters or digits, for example C7654321")
	}
	from, ok := parseWhen(page.From, s.now())
	if !ok {
		page.Errors.add("consultant_from", "", "From must be a real date and time, for example 2026-03-30 14:00, or empty for now")
	}
	if !page.Errors.Any() {
		err := s.Inpatients.ChangeConsultant(r.Context(), actorOf(r), page.Spell.ID, page.Consultant, page.TF, from)
		if err == nil {
			return s.redirect(w, r, "/spells/"+page.Spell.ID, "Care passed to "+page.Consultant+": a new consultant episode")
		}
		if !serviceErrorsAs(&page.Errors, err, map[string]string{"at": "consultant_from"}, nil, "consultant") {
			return err
		}
	}
	return s.reshow(w, r, "spell", page, []string{"consultant", "treatment_function", "consultant_from"})
}

// setExpectedDischarge records (or, left empty, clears) the date the
// patient is expected to go home (HL7 A08).
func (s *Server) setExpectedDischarge(w http.ResponseWriter, r *http.Request, page *spellPage) error {
	d, ok := parseDay(page.Expected)
	if !ok {
		page.Errors.add("expected_discharge", "", "Expected discharge must be a real date, for example 2026-04-02")
	} else {
		err := s.Inpatients.SetExpectedDischarge(r.Context(), actorOf(r), page.Spell.ID, d)
		if err == nil {
			msg := "Expected discharge cleared"
			if !d.IsZero() {
				msg = "Expected discharge " + d.Display()
			}
			return s.redirect(w, r, "/spells/"+page.Spell.ID, msg)
		}
		if !serviceErrors(&page.Errors, err, nil, "expected_discharge") {
			return err
		}
	}
	return s.reshow(w, r, "spell", page, nil)
}

// undoForm is the data of a cancel-in-error form of the spell page.
type undoForm struct{ ID, Action, Label, CSRF string }

func init() {
	funcs["undo"] = func(p *spellPage, action, label string) undoForm {
		return undoForm{ID: p.Spell.ID, Action: action, Label: label, CSRF: p.CSRFToken}
	}
}
