package fhir

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// ProblemService keeps a patient's problems and diagnoses as R4
// Conditions in the resource store: written through the one write path,
// read through the access-checked, audited reads.
type ProblemService struct {
	Store       crs.Store
	Resources   crs.ResourceStore
	Records     crs.PatientResourceReader
	Terminology crs.TerminologyService // the trust's SNOMED CT release; nil checks codes by form only
}

var _ crs.ProblemService = (*ProblemService)(nil)

type conditionJSON struct {
	ResourceType       string            `json:"resourceType"`
	ID                 string            `json:"id,omitempty"`
	Meta               *resourceMeta     `json:"meta,omitempty"`
	ClinicalStatus     *codeableConcept  `json:"clinicalStatus,omitempty"`
	VerificationStatus *codeableConcept  `json:"verificationStatus,omitempty"`
	Category           []codeableConcept `json:"category,omitempty"`
	Code               *codeableConcept  `json:"code,omitempty"`
	Subject            reference         `json:"subject"`
	OnsetDateTime      string            `json:"onsetDateTime,omitempty"`
	AbatementDateTime  string            `json:"abatementDateTime,omitempty"`
	RecordedDate       string            `json:"recordedDate,omitempty"`
	Recorder           *reference        `json:"recorder,omitempty"`
	Note               []annotation      `json:"note,omitempty"`
}

// conditionOf is the R4 Condition of a problem.
func conditionOf(p *crs.Problem) *conditionJSON {
	c := &conditionJSON{
		ResourceType:       "Condition",
		ClinicalStatus:     statusConcept(conditionClinical, p.ClinicalStatus),
		VerificationStatus: statusConcept(conditionVerification, p.Verification),
		Category:           []codeableConcept{{Coding: []coding{{System: conditionCategory, Code: p.Category}}}},
		Code:               snomedConcept(p.Code, p.Display),
		Subject:            patientRef(p.PatientID),
		OnsetDateTime:      dateText(p.Onset),
		AbatementDateTime:  dateText(p.Abatement),
		RecordedDate:       p.RecordedAt.UTC().Format(recordedDateTimeLayout),
		Recorder:           &reference{Display: p.RecordedBy},
	}
	if p.Alert {
		c.Category = append(c.Category, codeableConcept{Coding: []coding{{System: bannerAlertSystem, Code: "alert", Display: "Alert on the patient banner"}}})
	}
	if p.Note != "" {
		c.Note = []annotation{{AuthorString: p.RecordedBy, Text: p.Note}}
	}
	return c
}

// problemOf reads a problem from a stored Condition.
func problemOf(r *crs.Resource) (*crs.Problem, error) {
	var c conditionJSON
	if err := json.Unmarshal(r.Body, &c); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read Condition/%s: %w", r.ID, err)
	}
	p := &crs.Problem{Onset: parseDay(c.OnsetDateTime), Abatement: parseDay(c.AbatementDateTime)}
	var notes []annotation
	p.Entry, notes = entryOf(r, c.Meta, c.RecordedDate, c.Recorder, c.Note)
	p.ClinicalStatus, _ = c.ClinicalStatus.first(conditionClinical)
	p.Verification, _ = c.VerificationStatus.first(conditionVerification)
	p.Code, p.Display = c.Code.first(nhs.SNOMEDSystem)
	if p.Display == "" && c.Code != nil {
		p.Display = c.Code.Text
	}
	for _, cat := range c.Category {
		if code, _ := cat.first(conditionCategory); code != "" {
			p.Category = code
		}
		if code, _ := cat.first(bannerAlertSystem); code == "alert" {
			p.Alert = true
		}
	}
	p.Note = clinicianNote(notes)
	return p, nil
}

// ListProblems returns the patient's problems and diagnoses.
func (s *ProblemService) ListProblems(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Problem, error) {
	rs, err := patientEntries(ctx, s.Records, a, patientID, "Condition")
	if err != nil {
		return nil, err
	}
	out, err := entriesOf(rs, problemOf)
	if err != nil {
		return nil, err
	}
	rank := func(p *crs.Problem) int {
		switch {
		case p.InError():
			return 2
		case p.Current():
			return 0
		}
		return 1
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

// FindProblem returns one problem of the patient.
func (s *ProblemService) FindProblem(ctx context.Context, a crs.Actor, patientID, id string) (*crs.Problem, error) {
	r, err := readPatientEntry(ctx, s.Resources, a, patientID, "Condition", id)
	if err != nil {
		return nil, err
	}
	p, err := problemOf(r)
	return p, err
}

// RecordProblem records a new problem or the next version of one.
func (s *ProblemService) RecordProblem(ctx context.Context, a crs.Actor, p *crs.Problem) error {
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	if err := p.Validate(crs.LocalDate(s.Store.Now())); err != nil {
		return err
	}
	display, err := checkConcept(ctx, s.Terminology, a, "code", p.Code, p.Display, crs.ConceptProblem)
	if err != nil {
		return err
	}
	p.Display = display
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		if _, err := tx.GetPatient(p.PatientID); err != nil {
			return err
		}
		cur, version, err := nextVersion(tx, "Condition", p.ID, p.PatientID, p.Version)
		if err != nil {
			return err
		}
		p.RecordedAt, p.RecordedBy = tx.Now(), tx.Actor().Username
		if cur != nil {
			old, err := problemOf(cur)
			if err != nil {
				return err
			}
			if old.InError() {
				return crs.Errorf(crs.ECONFLICT, "this problem was marked entered in error and cannot be changed: record it again")
			}
			p.RecordedAt = old.RecordedAt
		} else {
			p.ID = crs.NewID()
		}
		res, err := toResource(conditionOf(p))
		if err != nil {
			return err
		}
		stored, err := putVersion(tx, res, "Condition", p.ID, version)
		if err != nil {
			return err
		}
		p.Version, p.UpdatedAt = stored.Version, tx.Now()
		return nil
	})
}

// EnterProblemInError marks a problem entered in error, with why.
func (s *ProblemService) EnterProblemInError(ctx context.Context, a crs.Actor, patientID, id, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, version, err := nextVersion(tx, "Condition", id, patientID, 0)
		if err != nil {
			return err
		}
		var c conditionJSON
		if err := json.Unmarshal(cur.Body, &c); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read Condition/%s: %w", id, err)
		}
		if v, _ := c.VerificationStatus.first(conditionVerification); v == crs.EnteredInError {
			return crs.Errorf(crs.ECONFLICT, "this problem is already marked entered in error")
		}
		c.ClinicalStatus = nil // R4 con-5: no clinical status once entered in error
		c.VerificationStatus = statusConcept(conditionVerification, crs.EnteredInError)
		c.Recorder = &reference{Display: tx.Actor().Username}
		c.Note = append(c.Note, errorNote(tx.Actor(), tx.Now(), reason))
		res, err := toResource(c)
		if err != nil {
			return err
		}
		_, err = putVersion(tx, res, "Condition", id, version)
		return err
	})
}

// ProblemHistory returns every version of a problem, newest first.
func (s *ProblemService) ProblemHistory(ctx context.Context, a crs.Actor, patientID, id string) ([]*crs.Problem, error) {
	versions, err := entryHistory(ctx, s.Resources, a, patientID, "Condition", id)
	if err != nil {
		return nil, err
	}
	return entriesOf(versions, problemOf)
}
