package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// freeNote is the one section of a note written without a template.
var freeNote = []crs.NoteSection{{Heading: "Note", Prompt: "What was found, what was decided and what happens next"}}

// newNoteForm fills the new note form from the template chosen (?template=
// or the form's), or a free note without one.
func (s *Server) newNoteForm(r *http.Request, page *notePage) error {
	var err error
	if page.Templates, err = s.Notes.Templates(r.Context(), actorOf(r), crs.NoteKindNote); err != nil {
		return err
	}
	page.Template = form(r, "template")
	page.Form = crs.ClinicalNote{Title: "Clinical note", Sections: append([]crs.NoteSection(nil), freeNote...)}
	for _, t := range page.Templates {
		if t.ID == page.Template {
			page.Form = crs.ClinicalNote{Title: t.Title, TemplateID: t.ID, Specialty: t.Specialty, Sections: append([]crs.NoteSection(nil), t.Sections...)}
		}
	}
	return nil
}

// handleNoteForm shows the form of a new note: the template choice and
// the sections of the template chosen.
func (s *Server) handleNoteForm(w http.ResponseWriter, r *http.Request) error {
	page := &notePage{}
	if err := s.notePageOf(r, page); err != nil {
		return err
	}
	if err := s.newNoteForm(r, page); err != nil {
		return err
	}
	return s.render(w, r, "note", page)
}

// handleNewNote saves a new note as a draft and shows it, to be signed.
func (s *Server) handleNewNote(w http.ResponseWriter, r *http.Request) error {
	a, page, err := s.notePost(r)
	if err != nil {
		return err
	}
	if err := s.newNoteForm(r, page); err != nil {
		return err
	}
	f := &page.Form
	readSections(r, f)
	s.readEffective(r, page)
	f.PatientID = page.Banner.ID
	fp := formPost{name: "note", page: page, fallback: "title"}
	return s.submit(w, r, fp, func() (string, string, error) {
		err := s.Notes.SaveNote(r.Context(), a, f)
		return notePath(page.Banner.ID, f.ID), "Draft saved", err
	})
}
