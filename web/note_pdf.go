package web

import (
	"fmt"
	"net/http"

	"github.com/opencrs/crs"
)

// handleNotePDF writes a signed clinic letter in PDF: to the patient's GP
// (for=gp, the default) or to the patient (for=patient). A draft is not
// printed: only what was signed and sent.
func (s *Server) handleNotePDF(w http.ResponseWriter, r *http.Request) error {
	page := &notePage{}
	if err := s.notePageOf(r, page); err != nil {
		return err
	}
	n := page.Note
	if !n.Letter() || !n.Signed() {
		return crs.Errorf(crs.ECONFLICT, "only a signed clinic letter is printed: this is a %s %s", n.Status, map[bool]string{true: "letter", false: "note"}[n.Letter()])
	}
	a := actorOf(r)
	p, err := s.Patients.FindPatient(r.Context(), a, n.PatientID)
	if err != nil {
		return err
	}
	org, _ := s.Orgs.FindOrganisation(r.Context(), a)
	toPatient := r.URL.Query().Get("for") == "patient"
	intro := "We saw your patient in clinic. This is our letter about the consultation."
	if toPatient {
		intro = "We saw you in clinic. This is a copy of the letter we have sent to your GP."
	}
	facts := fmt.Sprintf("Seen on %s in %s (%s), consultant %s.\nOutcome: %s", showDate(crs.LocalDate(n.EffectiveAt)), n.ClinicName, n.ClinicCode, n.ConsultantName, n.Outcome)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="clinic-letter-%s.pdf"`, n.ID))
	return writePDF(w, n.Title, letterBlocks(letter{org: org, title: n.Title, patient: p, toPatient: toPatient, intro: intro, facts: facts,
		sections: n.Texts(), signedBy: n.SignedBy, signedAt: n.SignedAt, amended: n.AmendReason}))
}
