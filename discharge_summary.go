package crs

import (
	"context"
	"strings"
	"time"
)

// Events of discharge summaries: the outbound feeds send a signed one as
// an HL7 MDM^T02, an amended one as an MDM^T08.
const (
	EventSummarySigned  = "summary.signed"
	EventSummaryAmended = "summary.amended"
)

// Statuses of a discharge summary.
const (
	SummaryDraft   = "draft"   // started at discharge, being written
	SummarySigned  = "signed"  // signed by the responsible clinician and sent: it never changes
	SummaryAmended = "amended" // signed again with an amendment; the versions before are kept
	SummaryVoid    = "void"    // the discharge was cancelled in error before the summary was signed
)

// DischargeSummary is the letter that tells the patient's GP what
// happened in hospital: the diagnoses, the procedures, the medications
// on discharge, the follow-up arranged and what the GP should do. A
// draft is started when the patient is discharged; once signed by the
// responsible clinician it is sent and never changes, an amendment being
// a new signed version with the earlier kept.
type DischargeSummary struct {
	ID             string    `json:"id"`
	Version        int       `json:"version"`
	PatientID      string    `json:"patient_id"`
	PatientName    string    `json:"patient_name"`
	SpellID        string    `json:"spell_id"`
	VisitNumber    string    `json:"visit_number,omitempty"`
	WardCode       string    `json:"ward_code"`
	ConsultantCode string    `json:"consultant_code"`
	AdmittedAt     time.Time `json:"admitted_at"`
	DischargedAt   time.Time `json:"discharged_at"`
	// The summary's sections, as structured text.
	Diagnoses     string    `json:"diagnoses"`
	Procedures    string    `json:"procedures"`
	Medications   string    `json:"medications"` // medications on discharge, one a line: drug, dose, route, frequency
	FollowUp      string    `json:"follow_up"`
	GPInformation string    `json:"gp_information"` // actions for the GP
	Status        string    `json:"status"`
	Author        string    `json:"author,omitempty"` // who last wrote the draft
	SignedBy      string    `json:"signed_by,omitempty"`
	SignedAt      time.Time `json:"signed_at,omitzero"`
	AmendReason   string    `json:"amend_reason,omitempty"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Sections lists the summary's sections by title, in the order a letter
// gives them.
func (s *DischargeSummary) Sections() [][2]string {
	return [][2]string{{"Diagnoses", s.Diagnoses}, {"Procedures", s.Procedures}, {"Medications on discharge", s.Medications},
		{"Follow-up", s.FollowUp}, {"Information for the GP", s.GPInformation}}
}

// Validate checks a summary is complete enough to sign.
func (s *DischargeSummary) Validate() error {
	var errs Errors
	for _, f := range []struct{ field, value, what string }{
		{"diagnoses", s.Diagnoses, "the diagnoses"}, {"medications", s.Medications, "the medications on discharge (or none)"},
		{"follow_up", s.FollowUp, "the follow-up arranged (or none)"}, {"gp_information", s.GPInformation, "what the GP should do (or nothing)"},
	} {
		if strings.TrimSpace(f.value) == "" {
			errs = append(errs, FieldErrorf(f.field, "Enter %s", f.what))
		}
	}
	return errs.Err()
}

// Signed reports whether the summary has been signed and sent.
func (s *DischargeSummary) Signed() bool {
	return s.Status == SummarySigned || s.Status == SummaryAmended
}

// SummaryEventData is the Data of a signed or amended summary's event:
// the summary and the patient, which the outbound feeds render as MDM.
type SummaryEventData struct {
	Summary *DischargeSummary `json:"summary"`
	Patient *Patient          `json:"patient"`
}

// DischargeSummaryService is how the ward writes, signs and sends the
// discharge summaries of its patients. Every method checks access and
// audits.
type DischargeSummaryService interface {
	// SpellSummary returns the summary of a discharged spell;
	// ENOTFOUND when the spell has none (it is not discharged).
	SpellSummary(ctx context.Context, a Actor, spellID string) (*DischargeSummary, error)
	// SummaryHistory returns every version of the summary, newest first.
	SummaryHistory(ctx context.Context, a Actor, id string) ([]*DischargeSummary, error)
	// SaveDraft records the sections of a draft; ECONFLICT once signed.
	SaveDraft(ctx context.Context, a Actor, s *DischargeSummary) error
	// SignSummary signs the draft as the responsible clinician (a
	// doctor) and sends it, in one transaction: the FHIR document Bundle
	// is stored as a DocumentReference and the MDM^T02 is queued.
	SignSummary(ctx context.Context, a Actor, s *DischargeSummary) error
	// AmendSummary signs a corrected version of a signed summary, with
	// the reason, and sends it again (MDM^T08); the version before stays.
	AmendSummary(ctx context.Context, a Actor, s *DischargeSummary, reason string) error
	// OverdueSummaries lists the discharges from the ward ("" for every
	// ward) longer ago than age whose summary is not yet signed and
	// sent, longest waiting first.
	OverdueSummaries(ctx context.Context, a Actor, ward string, age time.Duration) ([]*DischargeSummary, error)
}
