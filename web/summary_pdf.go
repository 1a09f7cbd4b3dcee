package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// handleSummaryPDF writes a signed discharge summary as a letter in PDF:
// to the patient's GP (for=gp, the default) or to the patient
// (for=patient). A draft is not printed: only what was signed and sent.
func (s *Server) handleSummaryPDF(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r)
	sum, p, err := s.spellSummary(r)
	if err != nil {
		return err
	}
	if !sum.Signed() {
		return crs.Errorf(crs.ECONFLICT, "the discharge summary is not signed yet: only a signed summary is printed")
	}
	to := r.URL.Query().Get("for")
	org, _ := s.Orgs.FindOrganisation(r.Context(), a)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="discharge-summary-%s.pdf"`, sum.ID))
	return writePDF(w, "Discharge summary", summaryLetter(sum, p, org, to == "patient"))
}

// summaryLetter lays out the summary as a letter to the GP or to the
// patient.
func summaryLetter(sum *crs.DischargeSummary, p *crs.Patient, org *crs.Organisation, toPatient bool) []pdfBlock {
	return letterBlocks(letter{org: org, title: "Discharge summary", patient: p, toPatient: toPatient,
		intro: "This is a copy of the summary of your stay in hospital that we have sent to your GP.",
		facts: fmt.Sprintf("Admitted %s, discharged %s from ward %s under consultant %s.",
			showDate(crs.LocalDate(sum.AdmittedAt)), showDate(crs.LocalDate(sum.DischargedAt)), sum.WardCode, sum.ConsultantCode),
		sections: sum.Sections(), signedBy: sum.SignedBy, signedAt: sum.SignedAt, amended: sum.AmendReason})
}

// letter is a signed document printed as a letter from the trust: to the
// patient's GP at their practice, or to the patient at home.
type letter struct {
	org       *crs.Organisation
	title     string
	patient   *crs.Patient
	toPatient bool
	intro     string // the opening sentence (a letter to the GP opens with none)
	facts     string // the encounter: when, where, under whom
	sections  [][2]string
	signedBy  string
	signedAt  time.Time
	amended   string // the reason of an amendment, or ""
}

// letterBlocks lays out a letter.
func letterBlocks(l letter) []pdfBlock {
	trust := "OpenCRS"
	if l.org != nil {
		trust = l.org.Name
	}
	p := l.patient
	name := strings.TrimSpace(p.GivenName + " " + p.FamilyName)
	var b []pdfBlock
	b = append(b, pdfBlock{Text: trust, Bold: true, Size: 14}, pdfBlock{Text: l.title, Bold: true, Size: 16, Gap: 6})
	if l.toPatient {
		addr := append([]string{name}, p.Address.Lines...)
		addr = append(addr, p.Address.Postcode)
		b = append(b, pdfBlock{Text: strings.Join(addr, "\n"), Gap: 12}, pdfBlock{Text: "Dear " + strings.TrimSpace(p.Title+" "+p.FamilyName) + ",", Gap: 12},
			pdfBlock{Text: l.intro})
	} else {
		gp := strings.TrimSpace(p.GPName)
		b = append(b, pdfBlock{Text: strings.TrimSpace(gp + "\n" + p.GPPracticeName + " (" + p.GPPracticeCode + ")"), Gap: 12}, pdfBlock{Text: "Dear Doctor,", Gap: 12})
	}
	b = append(b, pdfBlock{Text: fmt.Sprintf("Patient: %s, born %s, NHS number %s", name, showDate(p.BirthDate), nhs.FormatNumber(p.NHSNumber)), Bold: true, Gap: 10},
		pdfBlock{Text: l.facts})
	for _, sec := range l.sections {
		b = append(b, pdfBlock{Text: sec[0], Bold: true, Size: 12, Gap: 10}, pdfBlock{Text: sec[1]})
	}
	signed := "Signed by " + l.signedBy + " on " + showDateTime(l.signedAt)
	if l.amended != "" {
		signed += ". Amended: " + l.amended
	}
	return append(b, pdfBlock{Text: signed, Gap: 16})
}
