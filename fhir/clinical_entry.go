package fhir

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// The JSON shapes of the R4 elements the clinical record's entries are
// written with.
type (
	coding struct {
		System  string `json:"system,omitempty"`
		Code    string `json:"code,omitempty"`
		Display string `json:"display,omitempty"`
	}
	codeableConcept struct {
		Coding []coding `json:"coding,omitempty"`
		Text   string   `json:"text,omitempty"`
	}
	reference struct {
		Reference  string          `json:"reference,omitempty"`
		Identifier *jsonIdentifier `json:"identifier,omitempty"`
		Display    string          `json:"display,omitempty"`
	}
	annotation struct {
		AuthorString string `json:"authorString,omitempty"`
		Time         string `json:"time,omitempty"`
		Text         string `json:"text"`
	}
	resourceMeta struct {
		VersionID   string `json:"versionId,omitempty"`
		LastUpdated string `json:"lastUpdated,omitempty"`
	}
)

// Code systems of the clinical record's entries.
const (
	conditionClinical      = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	conditionVerification  = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	conditionCategory      = "http://terminology.hl7.org/CodeSystem/condition-category"
	allergyClinical        = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
	allergyVerification    = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	bannerAlertSystem      = "https://opencrs.org/fhir/CodeSystem/banner-alert"
	enteredInErrorPrefix   = "Entered in error: "
	recordedDateTimeLayout = "2006-01-02T15:04:05Z07:00"
)

func statusConcept(system, code string) *codeableConcept {
	if code == "" {
		return nil
	}
	return &codeableConcept{Coding: []coding{{System: system, Code: code}}}
}

func snomedConcept(code, display string) *codeableConcept {
	if code == "" {
		return nil
	}
	return &codeableConcept{Coding: []coding{{System: nhs.SNOMEDSystem, Code: code, Display: display}}, Text: display}
}

// first returns the code and display of the concept's first coding of a
// system.
func (c *codeableConcept) first(system string) (string, string) {
	if c == nil {
		return "", ""
	}
	for _, cd := range c.Coding {
		if cd.System == system {
			return cd.Code, cd.Display
		}
	}
	return "", ""
}

func dateText(d crs.Date) string { return d.String() }

// parseDay reads the day of an R4 date or dateTime.
func parseDay(s string) crs.Date {
	if len(s) >= 10 {
		if d, err := crs.ParseDate(s[:10]); err == nil {
			return d
		}
	}
	return crs.Date{}
}

// patientRef is how the clinical record's entries name their patient.
func patientRef(id string) reference { return reference{Reference: "Patient/" + id} }

// toResource turns one of the JSON shapes into a Resource, checked
// against the R4 definitions.
func toResource(v any) (Resource, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "encode: %w", err)
	}
	return Decode(b)
}

// entryOf fills the Entry of a domain entry from a stored version.
func entryOf(r *crs.Resource, m *resourceMeta, recordedAt string, recorder *reference, notes []annotation) (crs.Entry, []annotation) {
	e := crs.Entry{ID: r.ID, PatientID: r.PatientID, Version: r.Version}
	e.RecordedAt, _ = time.Parse(time.RFC3339, recordedAt)
	if m != nil {
		e.UpdatedAt, _ = time.Parse(time.RFC3339, m.LastUpdated)
	}
	if recorder != nil {
		e.RecordedBy = recorder.Display
	}
	var rest []annotation
	for _, n := range notes {
		if reason, ok := strings.CutPrefix(n.Text, enteredInErrorPrefix); ok {
			e.ErrorReason = reason
			continue
		}
		rest = append(rest, n)
	}
	return e, rest
}

// checkConcept checks a code against the trust's SNOMED CT release when
// one is loaded and returns the concept's term as display; without a
// release the display given stands, and must be given.
func checkConcept(ctx context.Context, terms crs.TerminologyService, a crs.Actor, field, code, display string, kind crs.ConceptKind) (string, error) {
	if code == "" {
		return "", nil
	}
	if terms != nil {
		loaded, err := terms.SNOMEDLoaded(ctx, a)
		if err != nil {
			return "", err
		}
		if loaded {
			c, err := terms.FindConcept(ctx, a, code)
			if crs.ErrorCode(err) == crs.ENOTFOUND {
				return "", crs.FieldErrorf(field, "SNOMED CT concept %s is not in the trust's loaded release: choose one from the list", code)
			} else if err != nil {
				return "", err
			}
			if tags := kind.SemanticTags(); len(tags) > 0 && !oneOfTags(c.SemanticTag(), tags) {
				return "", crs.FieldErrorf(field, "%s (%s) is a %s, not a %s", c.Term, code, c.SemanticTag(), strings.Join(tags, " or "))
			}
			return c.Term, nil
		}
	}
	if strings.TrimSpace(display) == "" {
		return "", crs.FieldErrorf(field, "no SNOMED CT release is loaded: give the term of concept %s", code)
	}
	return strings.TrimSpace(display), nil
}

func oneOfTags(tag string, tags []string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// nextVersion returns the version a change of typ/id writes, checking
// the entry is the patient's, is the version the user edited (unless
// want is 0) and is not entered in error; 1 for a new entry (id "").
func nextVersion(tx crs.Tx, typ, id, patientID string, want int) (*crs.Resource, int, error) {
	if id == "" {
		return nil, 1, nil
	}
	cur, err := tx.GetResource(typ, id)
	if err != nil {
		return nil, 0, err
	}
	if cur.Deleted || cur.PatientID != patientID {
		return nil, 0, crs.Errorf(crs.ENOTFOUND, "%s/%s is not in this patient's record", typ, id)
	}
	if want != 0 && cur.Version != want {
		return nil, 0, crs.Errorf(crs.ECONFLICT, "someone else changed this entry while you were editing it (it is now at version %d): reload it and make your change again", cur.Version)
	}
	return cur, cur.Version + 1, nil
}

// patientEntries reads the patient's entries of one type, audited.
func patientEntries(ctx context.Context, rr crs.PatientResourceReader, a crs.Actor, patientID, typ string) ([]*crs.Resource, error) {
	return rr.PatientResources(ctx, a, patientID, []string{typ}, 1000)
}

// readPatientEntry reads one entry of the patient, audited.
func readPatientEntry(ctx context.Context, rs crs.ResourceStore, a crs.Actor, patientID, typ, id string) (*crs.Resource, error) {
	r, err := rs.ReadResource(ctx, a, typ, id, 0)
	if err != nil {
		return nil, err
	}
	if r.Deleted || r.PatientID != patientID {
		return nil, crs.Errorf(crs.ENOTFOUND, "%s/%s is not in this patient's record", typ, id)
	}
	return r, nil
}

func errorNote(a crs.Actor, at time.Time, reason string) annotation {
	return annotation{AuthorString: a.Username, Time: at.UTC().Format(recordedDateTimeLayout), Text: enteredInErrorPrefix + reason}
}

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", crs.FieldErrorf("reason", "say why the entry is in error (for example: recorded on the wrong patient)")
	}
	return reason, nil
}

// clinicianNote is the note the clinician wrote on an entry: the first
// note that is not the record of a change.
func clinicianNote(notes []annotation) string {
	for _, n := range notes {
		if n.Time == "" {
			return n.Text
		}
	}
	return ""
}

// entryHistory reads every version of one entry of the patient, newest
// first, audited.
func entryHistory(ctx context.Context, rs crs.ResourceStore, a crs.Actor, patientID, typ, id string) ([]*crs.Resource, error) {
	versions, err := rs.ResourceHistory(ctx, a, typ, id, time.Time{}, "", 1000)
	if err != nil {
		return nil, err
	}
	if len(versions) == 0 || versions[0].PatientID != patientID {
		return nil, crs.Errorf(crs.ENOTFOUND, "%s/%s is not in this patient's record", typ, id)
	}
	return versions, nil
}

// entriesOf reads each stored resource (or version) as its domain type.
func entriesOf[T any](rs []*crs.Resource, read func(*crs.Resource) (T, error)) ([]T, error) {
	out := make([]T, 0, len(rs))
	for _, r := range rs {
		e, err := read(r)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
