package web

import (
	"net/http"

	"github.com/opencrs/crs"
)

// handleDraftLetter starts the clinic letter of an attended appointment
// from the template chosen (the clinic's specialty's first when none is)
// and opens it to be written; a letter already started is opened.
func (s *Server) handleDraftLetter(w http.ResponseWriter, r *http.Request) error {
	if s.Notes == nil {
		return errNoNotes
	}
	a := actorOf(r)
	page := &appointmentPage{}
	if err := s.loadAppointment(r, page); err != nil {
		return err
	}
	s.appointmentLetter(r, page)
	fp := formPost{name: "appointment", page: page, fallback: "template"}
	return s.submit(w, r, fp, func() (string, string, error) {
		n, err := s.Notes.DraftLetter(r.Context(), a, page.Appointment.ID, form(r, "template"))
		if err != nil {
			return "", "", err
		}
		return notePath(n.PatientID, n.ID), "Clinic letter started", nil
	})
}

// appointmentLetter adds to the appointment's page its clinic letter, or
// the letter templates to start one from, for a user who may read the
// clinical record; a user who may not sees neither.
func (s *Server) appointmentLetter(r *http.Request, page *appointmentPage) {
	a := actorOf(r)
	if s.Notes == nil || a.Authorize(crs.ActRecordClinical) != nil {
		return
	}
	page.Letters = true
	if n, err := s.Notes.AppointmentLetter(r.Context(), a, page.Appointment.ID); err == nil {
		page.Letter = n
		return
	}
	page.LetterTemplates, _ = s.Notes.Templates(r.Context(), a, crs.NoteKindLetter)
}
