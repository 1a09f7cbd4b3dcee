package fhir

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// AllergyService keeps a patient's allergies, adverse reactions and no
// known allergies statements as R4 AllergyIntolerances in the resource
// store.
//
// A no known allergies statement (SNOMED CT 716186003) and an active
// allergy never stand together: recording an active allergy supersedes
// the statement in the same command (its next version is inactive, with
// a note naming the allergy that superseded it), and a statement is
// refused while an active allergy stands.
type AllergyService struct {
	Store       crs.Store
	Resources   crs.ResourceStore
	Records     crs.PatientResourceReader
	Terminology crs.TerminologyService
}

var _ crs.AllergyService = (*AllergyService)(nil)

type allergyReactionJSON struct {
	Manifestation []codeableConcept `json:"manifestation"`
	Severity      string            `json:"severity,omitempty"`
}

type allergyJSON struct {
	ResourceType       string                `json:"resourceType"`
	ID                 string                `json:"id,omitempty"`
	Meta               *resourceMeta         `json:"meta,omitempty"`
	ClinicalStatus     *codeableConcept      `json:"clinicalStatus,omitempty"`
	VerificationStatus *codeableConcept      `json:"verificationStatus,omitempty"`
	Category           []string              `json:"category,omitempty"`
	Criticality        string                `json:"criticality,omitempty"`
	Code               *codeableConcept      `json:"code,omitempty"`
	Patient            reference             `json:"patient"`
	OnsetDateTime      string                `json:"onsetDateTime,omitempty"`
	RecordedDate       string                `json:"recordedDate,omitempty"`
	Recorder           *reference            `json:"recorder,omitempty"`
	Note               []annotation          `json:"note,omitempty"`
	Reaction           []allergyReactionJSON `json:"reaction,omitempty"`
}

// allergyIntoleranceOf is the R4 AllergyIntolerance of an allergy; notes
// are the records of earlier changes it keeps.
func allergyIntoleranceOf(al *crs.Allergy, notes []annotation) *allergyJSON {
	j := &allergyJSON{
		ResourceType:       "AllergyIntolerance",
		ClinicalStatus:     statusConcept(allergyClinical, al.ClinicalStatus),
		VerificationStatus: statusConcept(allergyVerification, al.Verification),
		Criticality:        al.Criticality,
		Code:               snomedConcept(al.Substance, al.SubstanceDisplay),
		Patient:            patientRef(al.PatientID),
		OnsetDateTime:      dateText(al.Onset),
		RecordedDate:       al.RecordedAt.UTC().Format(recordedDateTimeLayout),
		Recorder:           &reference{Display: al.RecordedBy},
	}
	if al.NoKnownAllergies {
		j.Code = snomedConcept(crs.NoKnownAllergyCode, crs.NoKnownAllergyDisplay)
	}
	if al.Category != "" {
		j.Category = []string{al.Category}
	}
	if al.Reaction != "" {
		j.Reaction = []allergyReactionJSON{{Manifestation: []codeableConcept{*snomedConcept(al.Reaction, al.ReactionDisplay)}, Severity: al.Severity}}
	}
	if al.Note != "" {
		j.Note = append(j.Note, annotation{AuthorString: al.RecordedBy, Text: al.Note})
	}
	j.Note = append(j.Note, notes...)
	return j
}

// allergyOf reads an allergy from a stored AllergyIntolerance.
func allergyOf(r *crs.Resource) (*crs.Allergy, *allergyJSON, error) {
	var j allergyJSON
	if err := json.Unmarshal(r.Body, &j); err != nil {
		return nil, nil, crs.Errorf(crs.EINTERNAL, "read AllergyIntolerance/%s: %w", r.ID, err)
	}
	al := &crs.Allergy{Onset: parseDay(j.OnsetDateTime), Criticality: j.Criticality}
	var notes []annotation
	al.Entry, notes = entryOf(r, j.Meta, j.RecordedDate, j.Recorder, j.Note)
	al.Note = clinicianNote(notes)
	al.ClinicalStatus, _ = j.ClinicalStatus.first(allergyClinical)
	al.Verification, _ = j.VerificationStatus.first(allergyVerification)
	al.Substance, al.SubstanceDisplay = j.Code.first(nhs.SNOMEDSystem)
	if al.SubstanceDisplay == "" && j.Code != nil {
		al.SubstanceDisplay = j.Code.Text
	}
	if al.Substance == crs.NoKnownAllergyCode {
		al.NoKnownAllergies, al.Substance, al.SubstanceDisplay = true, "", ""
	}
	if len(j.Category) > 0 {
		al.Category = j.Category[0]
	}
	if len(j.Reaction) > 0 {
		rx := j.Reaction[0]
		al.Severity = rx.Severity
		if len(rx.Manifestation) > 0 {
			al.Reaction, al.ReactionDisplay = rx.Manifestation[0].first(nhs.SNOMEDSystem)
		}
	}
	return al, &j, nil
}

// allergyEntry reads an allergy from a stored AllergyIntolerance.
func allergyEntry(r *crs.Resource) (*crs.Allergy, error) {
	al, _, err := allergyOf(r)
	return al, err
}

// changeNotes are the notes of a stored version that record changes
// (superseded, entered in error): every version keeps them.
func changeNotes(j *allergyJSON) []annotation {
	var out []annotation
	for _, n := range j.Note {
		if n.Time != "" {
			out = append(out, n)
		}
	}
	return out
}

// ListAllergies returns the patient's allergies and statements.
func (s *AllergyService) ListAllergies(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Allergy, error) {
	rs, err := patientEntries(ctx, s.Records, a, patientID, "AllergyIntolerance")
	if err != nil {
		return nil, err
	}
	return allergiesOf(rs)
}

func allergiesOf(rs []*crs.Resource) ([]*crs.Allergy, error) {
	out, err := entriesOf(rs, allergyEntry)
	if err != nil {
		return nil, err
	}
	rank := func(al *crs.Allergy) int {
		switch {
		case al.InError():
			return 3
		case al.Current() && al.Criticality == "high":
			return 0
		case al.Current():
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

// FindAllergy returns one allergy of the patient.
func (s *AllergyService) FindAllergy(ctx context.Context, a crs.Actor, patientID, id string) (*crs.Allergy, error) {
	r, err := readPatientEntry(ctx, s.Resources, a, patientID, "AllergyIntolerance", id)
	if err != nil {
		return nil, err
	}
	al, _, err := allergyOf(r)
	return al, err
}

// RecordAllergy records a new allergy or statement, or the next version
// of one.
func (s *AllergyService) RecordAllergy(ctx context.Context, a crs.Actor, al *crs.Allergy) error {
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	if err := al.Validate(crs.LocalDate(s.Store.Now())); err != nil {
		return err
	}
	var es crs.Errors
	var err error
	if al.SubstanceDisplay, err = checkConcept(ctx, s.Terminology, a, "substance", al.Substance, al.SubstanceDisplay, crs.ConceptSubstance); err != nil {
		if crs.ErrorField(err) == "" {
			return err
		}
		es = append(es, err.(*crs.Error))
	}
	if al.ReactionDisplay, err = checkConcept(ctx, s.Terminology, a, "reaction", al.Reaction, al.ReactionDisplay, crs.ConceptReaction); err != nil {
		if crs.ErrorField(err) == "" {
			return err
		}
		es = append(es, err.(*crs.Error))
	}
	if err := es.Err(); err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		if _, err := tx.GetPatient(al.PatientID); err != nil {
			return err
		}
		cur, version, err := nextVersion(tx, "AllergyIntolerance", al.ID, al.PatientID, al.Version)
		if err != nil {
			return err
		}
		al.RecordedAt, al.RecordedBy = tx.Now(), tx.Actor().Username
		var notes []annotation
		if cur != nil {
			old, j, err := allergyOf(cur)
			if err != nil {
				return err
			}
			if old.InError() {
				return crs.Errorf(crs.ECONFLICT, "this allergy was marked entered in error and cannot be changed: record it again")
			}
			if old.NoKnownAllergies != al.NoKnownAllergies {
				return crs.Errorf(crs.ECONFLICT, "a no known allergies statement and an allergy are separate entries: record a new one")
			}
			al.RecordedAt, notes = old.RecordedAt, changeNotes(j)
		} else {
			al.ID = crs.NewID()
		}
		if al.Current() {
			if err := s.reconcile(tx, al); err != nil {
				return err
			}
		}
		res, err := toResource(allergyIntoleranceOf(al, notes))
		if err != nil {
			return err
		}
		stored, err := putVersion(tx, res, "AllergyIntolerance", al.ID, version)
		if err != nil {
			return err
		}
		al.Version, al.UpdatedAt = stored.Version, tx.Now()
		return nil
	})
}

// reconcile keeps a no known allergies statement and an active allergy
// apart, inside the command recording al: a statement is refused while
// an allergy stands; an allergy supersedes a standing statement.
func (s *AllergyService) reconcile(tx crs.Tx, al *crs.Allergy) error {
	found, err := tx.SearchResources(crs.ResourceQuery{Type: "AllergyIntolerance", Count: 1000, All: [][]crs.ResourceCondition{{
		{Param: "patient", Kind: "reference", Op: crs.MatchEq, Code: "Patient/" + al.PatientID}}}})
	if err != nil {
		return err
	}
	for _, r := range found {
		if r.ID == al.ID {
			continue
		}
		other, j, err := allergyOf(r)
		if err != nil {
			return err
		}
		if !other.Current() || other.NoKnownAllergies == al.NoKnownAllergies {
			continue
		}
		if al.NoKnownAllergies {
			return crs.FieldErrorf("no_known_allergies", "the patient has an active allergy to %s: no known allergies cannot be recorded while it stands (mark it refuted, resolved or entered in error first)", other.SubstanceDisplay)
		}
		// The allergy supersedes the statement: its next version is inactive.
		j.ClinicalStatus = statusConcept(allergyClinical, crs.AllergyInactive)
		j.Recorder = &reference{Display: tx.Actor().Username}
		j.Note = append(j.Note, annotation{AuthorString: tx.Actor().Username, Time: tx.Now().UTC().Format(recordedDateTimeLayout),
			Text: "Superseded by the allergy to " + al.SubstanceDisplay + " recorded on " + crs.LocalDate(tx.Now()).Display()})
		j.Meta = nil
		res, err := toResource(j)
		if err != nil {
			return err
		}
		if _, err := putVersion(tx, res, "AllergyIntolerance", r.ID, r.Version+1); err != nil {
			return err
		}
	}
	return nil
}

// EnterAllergyInError marks an allergy entered in error, with why.
func (s *AllergyService) EnterAllergyInError(ctx context.Context, a crs.Actor, patientID, id, reason string) error {
	reason, err := checkReason(reason)
	if err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		cur, version, err := nextVersion(tx, "AllergyIntolerance", id, patientID, 0)
		if err != nil {
			return err
		}
		old, j, err := allergyOf(cur)
		if err != nil {
			return err
		}
		if old.InError() {
			return crs.Errorf(crs.ECONFLICT, "this allergy is already marked entered in error")
		}
		j.ClinicalStatus = nil // R4 ait-2: no clinical status once entered in error
		j.VerificationStatus = statusConcept(allergyVerification, crs.EnteredInError)
		j.Recorder = &reference{Display: tx.Actor().Username}
		j.Note = append(j.Note, errorNote(tx.Actor(), tx.Now(), reason))
		j.Meta = nil
		res, err := toResource(j)
		if err != nil {
			return err
		}
		_, err = putVersion(tx, res, "AllergyIntolerance", id, version)
		return err
	})
}

// Alerts returns what the patient banner warns of: allergies from the
// allergy list, alerts from the problem list.
func (s *AllergyService) Alerts(ctx context.Context, a crs.Actor, patientID string) (*crs.PatientAlerts, error) {
	rs, err := s.Records.PatientResources(ctx, a, patientID, []string{"AllergyIntolerance", "Condition"}, 1000)
	if err != nil {
		return nil, err
	}
	out := &crs.PatientAlerts{}
	var allergies []*crs.Resource
	for _, r := range rs {
		if r.Type == "AllergyIntolerance" {
			allergies = append(allergies, r)
			continue
		}
		p, err := problemOf(r)
		if err != nil {
			return nil, err
		}
		if p.Alert && p.Current() {
			out.Alerts = append(out.Alerts, p)
		}
	}
	list, err := allergiesOf(allergies)
	if err != nil {
		return nil, err
	}
	for _, al := range list {
		if !al.Current() {
			continue
		}
		out.AllergiesRecorded = true
		if al.NoKnownAllergies {
			if t := al.RecordedAt; out.NoKnownAllergies == nil || t.After(*out.NoKnownAllergies) {
				out.NoKnownAllergies = &t // the latest statement
			}
			continue
		}
		out.Allergies = append(out.Allergies, al)
	}
	if len(out.Allergies) > 0 {
		out.NoKnownAllergies = nil
	}
	return out, nil
}

// AllergyHistory returns every version of an allergy, newest first.
func (s *AllergyService) AllergyHistory(ctx context.Context, a crs.Actor, patientID, id string) ([]*crs.Allergy, error) {
	versions, err := entryHistory(ctx, s.Resources, a, patientID, "AllergyIntolerance", id)
	if err != nil {
		return nil, err
	}
	return entriesOf(versions, allergyEntry)
}
