package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// errNoNotes is the answer of a notes page when the service runs without
// clinical notes.
var errNoNotes = crs.Errorf(crs.ENOTFOUND, "Clinical notes are not switched on in this service.")

// notesPage is the data of the list of a patient's clinical notes and
// clinic letters.
type notesPage struct {
	pageData
	Notes []*crs.ClinicalNote
}

// handleNotes lists the patient's notes and clinic letters, newest first,
// those entered in error struck through.
func (s *Server) handleNotes(w http.ResponseWriter, r *http.Request) error {
	if s.Notes == nil {
		return errNoNotes
	}
	_, b, err := s.findPatient(r)
	if err != nil {
		return err
	}
	page := &notesPage{}
	page.Banner, page.Title = b, "Clinical notes and letters"
	if page.Notes, err = s.Notes.ListNotes(r.Context(), actorOf(r), b.ID); err != nil {
		return err
	}
	return s.render(w, r, "notes", page)
}
