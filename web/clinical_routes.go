package web

import "net/http"

// clinicalListRoutes lists the routes of the problem list, allergies,
// the search of the terminology, the timeline, and the clinical notes
// and clinic letters.
func (s *Server) clinicalListRoutes(mux *http.ServeMux) {
	mux.Handle("GET /patients/{id}/problems", s.authed(s.handleProblems))
	mux.Handle("GET /patients/{id}/problems/new", s.authed(s.handleProblemForm))
	mux.Handle("POST /patients/{id}/problems/new", s.authed(s.handleRecordProblem))
	mux.Handle("GET /patients/{id}/problems/{problem}", s.authed(s.handleProblemForm))
	mux.Handle("POST /patients/{id}/problems/{problem}", s.authed(s.handleRecordProblem))
	mux.Handle("POST /patients/{id}/problems/{problem}/error", s.authed(s.handleProblemInError))
	mux.Handle("GET /patients/{id}/allergies", s.authed(s.handleAllergies))
	mux.Handle("POST /patients/{id}/allergies/none", s.authed(s.handleNoKnownAllergies))
	mux.Handle("GET /patients/{id}/allergies/new", s.authed(s.handleAllergyForm))
	mux.Handle("POST /patients/{id}/allergies/new", s.authed(s.handleRecordAllergy))
	mux.Handle("GET /patients/{id}/allergies/{allergy}", s.authed(s.handleAllergyForm))
	mux.Handle("POST /patients/{id}/allergies/{allergy}", s.authed(s.handleRecordAllergy))
	mux.Handle("POST /patients/{id}/allergies/{allergy}/error", s.authed(s.handleAllergyInError))
	mux.Handle("GET /patients/{id}/timeline", s.authed(s.handleTimeline))
	mux.Handle("GET /patients/{id}/notes", s.authed(s.handleNotes))
	mux.Handle("GET /patients/{id}/notes/new", s.authed(s.handleNoteForm))
	mux.Handle("POST /patients/{id}/notes/new", s.authed(s.handleNewNote))
	mux.Handle("GET /patients/{id}/notes/{note}", s.authed(s.handleNote))
	mux.Handle("POST /patients/{id}/notes/{note}", s.authed(s.handleSaveNote))
	mux.Handle("POST /patients/{id}/notes/{note}/error", s.authed(s.handleNoteInError))
	mux.Handle("GET /patients/{id}/notes/{note}/letter.pdf", s.authed(s.handleNotePDF))
	mux.Handle("POST /appointments/{id}/letter", s.authed(s.handleDraftLetter))
	mux.Handle("GET /outpatients/letters", s.authed(s.handleUnsignedLetters))
	mux.Handle("GET /terminology/concepts", s.authed(s.handleConceptSearch))
}
