package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

func init() {
	// A note's status in words, a specialty's name and the age of an
	// unsigned letter.
	funcs["noteStatus"] = func(status string) string {
		return map[string]string{crs.SummaryDraft: "Draft, not signed", crs.SummarySigned: "Signed", crs.SummaryAmended: "Amended and signed",
			crs.EnteredInError: "Entered in error"}[status]
	}
	funcs["specialtyName"] = func(code string) string { n, _ := nhs.Lookup(nhs.TreatmentFunctions, code); return n }
	funcs["daysSince"] = func(now, t time.Time) int { return int(now.Sub(t).Hours() / 24) }
}

// notePage is the data of a note's page: a new note's form with the
// template chosen, a draft to write and sign, or a signed note with its
// amendment form, the action to mark it entered in error and its
// versions.
type notePage struct {
	pageData
	Note      *crs.ClinicalNote   // the note as stored; nil for a new one
	History   []*crs.ClinicalNote // its versions, newest first
	Templates []*crs.NoteTemplate // the templates a new note may be written from
	Template  string              // the template chosen for a new note
	Form      crs.ClinicalNote    // what the form shows
	Reason    string              // the amendment's or the error's reason
	Effective string              // when the note is about, as typed
}

// readEffective reads when the note is about (empty: now), beside its
// field when it is no time.
func (s *Server) readEffective(r *http.Request, page *notePage) {
	t, msg := readDateTime(r, "effective", "Clinically effective time", s.now())
	page.Errors.dateError("effective", msg)
	page.Effective = dateTimeValue(t)
	page.Form.EffectiveAt = t
}

// notePath is the address of a note of the patient.
func notePath(patientID, id string) string { return "/patients/" + patientID + "/notes/" + id }

// ErrorAction is where the form marking the note entered in error posts.
func (page *notePage) ErrorAction() string { return notePath(page.Banner.ID, page.Note.ID) + "/error" }

// SectionField is the form input of the note's section i.
func (page *notePage) SectionField(i int) string { return fmt.Sprintf("section_%d", i) }

// notePageOf reads the patient and, for an address naming one, the note
// and its versions.
func (s *Server) notePageOf(r *http.Request, page *notePage) error {
	if s.Notes == nil {
		return errNoNotes
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page.Banner, page.Title = b, "New clinical note"
	id := r.PathValue("note")
	if id == "" {
		return nil
	}
	a := actorOf(r)
	if page.Note, err = s.Notes.FindNote(r.Context(), a, b.ID, id); err != nil {
		return err
	}
	if page.History, err = s.Notes.NoteHistory(r.Context(), a, b.ID, id); err != nil {
		return err
	}
	page.Title, page.Form = page.Note.Title, *page.Note
	page.Effective = dateTimeValue(page.Note.EffectiveAt)
	return nil
}

// readSections reads what the form says of the note's sections: their
// headings (and prompts) as the form carries them, and the text written
// in each.
func readSections(r *http.Request, f *crs.ClinicalNote) {
	f.Title = form(r, "title")
	n, _ := strconv.Atoi(form(r, "sections"))
	if n > 50 {
		n = 50
	}
	if n > 0 || len(f.Sections) == 0 {
		f.Sections = make([]crs.NoteSection, n)
		for i := range f.Sections {
			f.Sections[i] = crs.NoteSection{Heading: form(r, fmt.Sprintf("heading_%d", i)), Prompt: form(r, fmt.Sprintf("prompt_%d", i))}
		}
	}
	for i := range f.Sections {
		f.Sections[i].Text = r.FormValue(fmt.Sprintf("section_%d", i))
	}
	f.Version, _ = strconv.Atoi(form(r, "version"))
}

// handleNote shows a note: the draft to write and sign, or the signed
// note, its versions and the forms to amend it or mark it in error.
func (s *Server) handleNote(w http.ResponseWriter, r *http.Request) error {
	page := &notePage{}
	if err := s.notePageOf(r, page); err != nil {
		return err
	}
	return s.render(w, r, "note", page)
}

// notePost reads the note a form posted to writes, for a user who may
// record in the clinical record, with the reason the form gives.
func (s *Server) notePost(r *http.Request) (crs.Actor, *notePage, error) {
	a := actorOf(r)
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return a, nil, err
	}
	page := &notePage{Reason: form(r, "reason")}
	return a, page, s.notePageOf(r, page)
}

// handleSaveNote saves the draft (action "save"), signs it ("sign"), or
// signs an amendment of a signed note ("amend").
func (s *Server) handleSaveNote(w http.ResponseWriter, r *http.Request) error {
	a, page, err := s.notePost(r)
	if err != nil {
		return err
	}
	f := &page.Form
	readSections(r, f)
	if !f.Letter() {
		s.readEffective(r, page)
	}
	action, to := form(r, "action"), notePath(page.Banner.ID, page.Note.ID)
	fp := formPost{name: "note", page: page, fallback: "title"}
	what := "Note"
	if f.Letter() {
		what = "Clinic letter"
	}
	return s.submit(w, r, fp, func() (string, string, error) {
		switch action {
		case "save":
			return to, "Draft saved", s.Notes.SaveNote(r.Context(), a, f)
		case "amend":
			return to, "Amendment signed", s.Notes.AmendNote(r.Context(), a, f, page.Reason)
		}
		flash := what + " signed"
		if f.Letter() {
			flash += " and sent to the GP"
		}
		return to, flash, s.Notes.SignNote(r.Context(), a, f)
	})
}

// handleNoteInError marks a note entered in error, with the reason.
func (s *Server) handleNoteInError(w http.ResponseWriter, r *http.Request) error {
	a, page, err := s.notePost(r)
	if err != nil {
		return err
	}
	fp := formPost{name: "note", page: page, fallback: "reason"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Notes.EnterNoteInError(r.Context(), a, page.Banner.ID, page.Note.ID, page.Reason)
		return notePath(page.Banner.ID, page.Note.ID), page.Note.Title + " marked entered in error", err
	})
}
