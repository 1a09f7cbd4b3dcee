package crs

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs/nhs"
)

// Clinical statuses of a problem or diagnosis (R4 condition-clinical).
const (
	ProblemActive     = "active"
	ProblemRecurrence = "recurrence"
	ProblemRelapse    = "relapse"
	ProblemInactive   = "inactive"
	ProblemRemission  = "remission"
	ProblemResolved   = "resolved"
)

// ProblemStatuses are the clinical statuses a problem may have, in the
// order a form offers them.
var ProblemStatuses = []string{ProblemActive, ProblemRecurrence, ProblemRelapse, ProblemInactive, ProblemRemission, ProblemResolved}

// Verification statuses of a problem (R4 condition-ver-status) and of an
// allergy (allergyintolerance-verification), and the one that marks an
// entry made on the wrong record or by mistake.
const (
	VerificationUnconfirmed  = "unconfirmed"
	VerificationProvisional  = "provisional"
	VerificationDifferential = "differential"
	VerificationConfirmed    = "confirmed"
	VerificationRefuted      = "refuted"
	EnteredInError           = "entered-in-error"
)

// ProblemVerifications and AllergyVerifications are the verification
// statuses a form offers for each (entered in error is an action of its
// own, with a reason).
var (
	ProblemVerifications = []string{VerificationConfirmed, VerificationProvisional, VerificationDifferential, VerificationUnconfirmed, VerificationRefuted}
	AllergyVerifications = []string{VerificationConfirmed, VerificationUnconfirmed, VerificationRefuted}
)

// Categories of a problem: on the patient's problem list, or a diagnosis
// made in one encounter (R4 condition-category).
const (
	ProblemListItem    = "problem-list-item"
	EncounterDiagnosis = "encounter-diagnosis"
)

// Clinical statuses of an allergy (R4 allergyintolerance-clinical).
const (
	AllergyActive   = "active"
	AllergyInactive = "inactive"
	AllergyResolved = "resolved"
)

// AllergyStatuses are the clinical statuses an allergy may have.
var AllergyStatuses = []string{AllergyActive, AllergyInactive, AllergyResolved}

// Severities of a reaction and criticalities of an allergy.
var (
	ReactionSeverities   = []string{"mild", "moderate", "severe"}
	AllergyCriticalities = []string{"low", "high", "unable-to-assess"}
	AllergyCategories    = []string{"medication", "food", "environment", "biologic"}
)

// NoKnownAllergyCode is the SNOMED CT concept of a positive statement
// that the patient has no known allergy.
const (
	NoKnownAllergyCode    = "716186003"
	NoKnownAllergyDisplay = "No known allergy"
)

// Entry is what every entry of the clinical record carries: whose record
// it is in, its version, who recorded it and when, and, once it is
// marked entered in error, why.
type Entry struct {
	ID          string
	PatientID   string
	Version     int       // the version read; an edit must name it (0: a new entry)
	RecordedAt  time.Time // when the entry was first recorded
	RecordedBy  string    // the username of who recorded this version
	UpdatedAt   time.Time // when this version was recorded
	ErrorReason string    // why it was marked entered in error, or ""
}

// Problem is a problem or diagnosis on a patient's record, coded in
// SNOMED CT: what it is, whether it is still going on, how sure the
// clinician is, and when it began and ended (the clinically effective
// dates, unlike when it was recorded).
type Problem struct {
	Entry
	Category       string // ProblemListItem or EncounterDiagnosis
	Code           string // SNOMED CT concept id
	Display        string // the concept's term
	ClinicalStatus string // one of ProblemStatuses; "" once entered in error
	Verification   string // one of ProblemVerifications, or EnteredInError
	Onset          Date
	Abatement      Date // resolved or in remission since
	Alert          bool // shown as an alert on the patient banner while active
	Note           string
}

// InError says whether the problem was marked entered in error.
func (p *Problem) InError() bool { return p.Verification == EnteredInError }

// Current says whether the problem is going on: active, recurred or
// relapsed, and not refuted or in error.
func (p *Problem) Current() bool {
	switch p.ClinicalStatus {
	case ProblemActive, ProblemRecurrence, ProblemRelapse:
		return p.Verification != VerificationRefuted && !p.InError()
	}
	return false
}

// Validate checks a problem as recorded (not its code against the
// terminology: the service does that), each problem against its field.
func (p *Problem) Validate(today Date) error {
	var es Errors
	p.Code, p.Display, p.Note = strings.TrimSpace(p.Code), strings.TrimSpace(p.Display), strings.TrimSpace(p.Note)
	if p.Category == "" {
		p.Category = ProblemListItem
	}
	if p.Category != ProblemListItem && p.Category != EncounterDiagnosis {
		es = append(es, FieldErrorf("category", "the category is a problem list item or an encounter diagnosis"))
	}
	if p.Code == "" {
		es = append(es, FieldErrorf("code", "choose the problem or diagnosis (SNOMED CT)"))
	} else if err := nhs.CheckSCTID(p.Code); err != nil {
		es = append(es, FieldErrorf("code", "%v", err))
	}
	if !oneOf(p.ClinicalStatus, ProblemStatuses) {
		es = append(es, FieldErrorf("clinical_status", "choose the clinical status: %s", strings.Join(ProblemStatuses, ", ")))
	}
	if !oneOf(p.Verification, ProblemVerifications) {
		es = append(es, FieldErrorf("verification", "choose how certain it is: %s", strings.Join(ProblemVerifications, ", ")))
	}
	if !p.Onset.IsZero() && p.Onset.After(today.Time) {
		es = append(es, FieldErrorf("onset", "the onset date is in the future"))
	}
	if !p.Abatement.IsZero() {
		switch {
		case p.ClinicalStatus != ProblemResolved && p.ClinicalStatus != ProblemRemission && p.ClinicalStatus != ProblemInactive:
			es = append(es, FieldErrorf("abatement", "a %s problem has no resolution date: set the status to resolved, in remission or inactive", p.ClinicalStatus))
		case p.Abatement.After(today.Time):
			es = append(es, FieldErrorf("abatement", "the resolution date is in the future"))
		case !p.Onset.IsZero() && p.Abatement.Before(p.Onset.Time):
			es = append(es, FieldErrorf("abatement", "the resolution date is before the onset date %s", p.Onset.Display()))
		}
	}
	return es.Err()
}

// Allergy is an allergy or adverse reaction on a patient's record, or the
// positive statement that the patient has no known allergy: the
// substance (SNOMED CT), how it shows (the reaction's manifestation), how
// bad the reaction was, how dangerous another exposure would be, and how
// sure the clinician is.
type Allergy struct {
	Entry
	NoKnownAllergies bool   // the statement "No known allergy" (716186003), with no substance
	Substance        string // SNOMED CT concept id of the substance or product
	SubstanceDisplay string
	Category         string // one of AllergyCategories, or ""
	Reaction         string // SNOMED CT concept id of the manifestation, or ""
	ReactionDisplay  string
	Severity         string // of the reaction: mild, moderate, severe, or ""
	Criticality      string // one of AllergyCriticalities, or ""
	ClinicalStatus   string // one of AllergyStatuses; "" once entered in error
	Verification     string // one of AllergyVerifications, or EnteredInError
	Onset            Date
	Note             string
}

// InError says whether the allergy was marked entered in error.
func (al *Allergy) InError() bool { return al.Verification == EnteredInError }

// Current says whether the allergy (or the no known allergies statement)
// stands: active and not refuted or in error.
func (al *Allergy) Current() bool {
	return al.ClinicalStatus == AllergyActive && al.Verification != VerificationRefuted && !al.InError()
}

// Display is what the allergy is to, as the banner shows it.
func (al *Allergy) Display() string {
	if al.NoKnownAllergies {
		return NoKnownAllergyDisplay
	}
	return al.SubstanceDisplay
}

// Validate checks an allergy as recorded, each problem against its field.
func (al *Allergy) Validate(today Date) error {
	var es Errors
	al.Substance, al.Reaction, al.Note = strings.TrimSpace(al.Substance), strings.TrimSpace(al.Reaction), strings.TrimSpace(al.Note)
	if al.NoKnownAllergies {
		al.Substance, al.SubstanceDisplay, al.Reaction, al.ReactionDisplay, al.Severity, al.Criticality, al.Category = "", "", "", "", "", "", ""
		if al.ClinicalStatus == "" {
			al.ClinicalStatus = AllergyActive
		}
		if al.Verification == "" {
			al.Verification = VerificationConfirmed
		}
	} else if al.Substance == "" {
		es = append(es, FieldErrorf("substance", "choose the substance the patient is allergic to (SNOMED CT)"))
	} else if al.Substance == NoKnownAllergyCode {
		es = append(es, FieldErrorf("substance", "record no known allergies with its own button, not as a substance"))
	} else if err := nhs.CheckSCTID(al.Substance); err != nil {
		es = append(es, FieldErrorf("substance", "%v", err))
	}
	if al.Reaction != "" {
		if err := nhs.CheckSCTID(al.Reaction); err != nil {
			es = append(es, FieldErrorf("reaction", "%v", err))
		}
	}
	if al.Severity != "" && !oneOf(al.Severity, ReactionSeverities) {
		es = append(es, FieldErrorf("severity", "the severity is mild, moderate or severe"))
	}
	if al.Severity != "" && al.Reaction == "" {
		es = append(es, FieldErrorf("reaction", "give the reaction the severity is of"))
	}
	if al.Criticality != "" && !oneOf(al.Criticality, AllergyCriticalities) {
		es = append(es, FieldErrorf("criticality", "the criticality is low, high or unable to assess"))
	}
	if al.Category != "" && !oneOf(al.Category, AllergyCategories) {
		es = append(es, FieldErrorf("category", "the category is %s", strings.Join(AllergyCategories, ", ")))
	}
	if !oneOf(al.ClinicalStatus, AllergyStatuses) {
		es = append(es, FieldErrorf("clinical_status", "choose the clinical status: active, inactive or resolved"))
	}
	if !oneOf(al.Verification, AllergyVerifications) {
		es = append(es, FieldErrorf("verification", "choose how certain it is: confirmed, unconfirmed or refuted"))
	}
	if !al.Onset.IsZero() && al.Onset.After(today.Time) {
		es = append(es, FieldErrorf("onset", "the onset date is in the future"))
	}
	return es.Err()
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// PatientAlerts is what the patient banner warns of: the patient's
// allergies, or the statement that they have none, or that no one has
// recorded either; and the problems marked as alerts that are going on.
type PatientAlerts struct {
	AllergiesRecorded bool       // an allergy or the no known allergies statement stands
	NoKnownAllergies  *time.Time // when no known allergies was recorded, if that is what stands
	Allergies         []*Allergy // current allergies, the most critical first
	Alerts            []*Problem // current problems marked as alerts
	Unreadable        bool       // the record could not be read: say so, never "not recorded"
}

// ProblemService is a patient's problem list and diagnoses. Reads need
// view_clinical and are audited; changes need record_clinical, and every
// change is a new version of the entry: nothing is deleted.
type ProblemService interface {
	// ListProblems returns the patient's problems and diagnoses, current
	// ones first, those entered in error last.
	ListProblems(ctx context.Context, a Actor, patientID string) ([]*Problem, error)
	// FindProblem returns one problem of the patient.
	FindProblem(ctx context.Context, a Actor, patientID, id string) (*Problem, error)
	// RecordProblem records a new problem (p.ID "") or the next version
	// of one (p.Version the version edited, else ECONFLICT). A code
	// unknown to the trust's SNOMED CT release is refused against "code".
	RecordProblem(ctx context.Context, a Actor, p *Problem) error
	// EnterProblemInError marks a problem entered in error, with why.
	EnterProblemInError(ctx context.Context, a Actor, patientID, id, reason string) error
	// ProblemHistory returns every version of a problem, newest first.
	ProblemHistory(ctx context.Context, a Actor, patientID, id string) ([]*Problem, error)
}

// AllergyService is a patient's allergies and adverse reactions, with
// the same access and versioning as ProblemService.
type AllergyService interface {
	// ListAllergies returns the patient's allergies and no known
	// allergies statements, current ones first, those entered in error
	// last.
	ListAllergies(ctx context.Context, a Actor, patientID string) ([]*Allergy, error)
	// FindAllergy returns one allergy of the patient.
	FindAllergy(ctx context.Context, a Actor, patientID, id string) (*Allergy, error)
	// RecordAllergy records a new allergy or the next version of one. An
	// active allergy supersedes a standing no known allergies statement
	// (which becomes inactive, with a note saying so, in the same
	// command); a no known allergies statement is refused while an
	// active allergy stands.
	RecordAllergy(ctx context.Context, a Actor, al *Allergy) error
	// EnterAllergyInError marks an allergy entered in error, with why.
	EnterAllergyInError(ctx context.Context, a Actor, patientID, id, reason string) error
	// AllergyHistory returns every version of an allergy, newest first.
	AllergyHistory(ctx context.Context, a Actor, patientID, id string) ([]*Allergy, error)
	// Alerts returns what the patient banner warns of.
	Alerts(ctx context.Context, a Actor, patientID string) (*PatientAlerts, error)
}
