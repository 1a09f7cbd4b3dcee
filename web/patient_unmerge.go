package web

import (
	"net/http"
	"strings"

	"github.com/opencrs/crs"
)

// handleUnmerge reverses the merge of this (minor) record.
func (s *Server) handleUnmerge(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActMergePatients); err != nil {
		return err
	}
	p, _, err := s.findPatient(r)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		reason = "unmerged from the record page"
	}
	if err := s.Patients.UnmergePatient(r.Context(), a, p.ID, reason); err != nil {
		return err
	}
	return s.redirect(w, r, "/patients/"+p.ID, "Hospital number "+p.MRN+" unmerged: it is a record of its own again")
}

// handleDeletePatient deletes this record, registered in error: the PMI
// refuses one with activity or in a merge, saying what it has.
func (s *Server) handleDeletePatient(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	if err := a.Authorize(crs.ActMergePatients); err != nil {
		return err
	}
	page, err := s.patientPage(r)
	if err != nil {
		return err
	}
	p := page.Patient
	reason := form(r, "reason")
	if reason == "" {
		page.DeleteReason = reason
		page.Errors.add("reason", "", "Say why the record is deleted, for example registered twice at the desk")
		return s.reshow(w, r, "patient", page, nil)
	}
	if err := s.Patients.DeletePatient(r.Context(), a, p.ID, reason); err != nil {
		return err
	}
	return s.redirect(w, r, "/patients", "Hospital number "+p.MRN+" deleted: registered in error ("+reason+")")
}
