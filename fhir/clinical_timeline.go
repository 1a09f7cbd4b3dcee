package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// TimelineService lists the entries of a patient's record in the
// resource store, of every type, as lines of the patient's timeline.
type TimelineService struct {
	Records crs.PatientResourceReader
}

var _ crs.TimelineService = (*TimelineService)(nil)

// timelineKinds says which kind of timeline entry each resource type is.
var timelineKinds = map[string]string{
	"Condition": crs.TimelineProblem, "AllergyIntolerance": crs.TimelineAllergy,
	"Observation": crs.TimelineObservation, "DiagnosticReport": crs.TimelineResult, "ServiceRequest": crs.TimelineResult,
	"Specimen": crs.TimelineResult, "ImagingStudy": crs.TimelineResult,
	"DocumentReference": crs.TimelineDocument, "Composition": crs.TimelineDocument,
	"Encounter": crs.TimelineEncounter,
}

// timelineTypes are the resource types of the kinds asked for; nil for
// every type.
func timelineTypes(kinds []string) []string {
	if len(kinds) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	if want[crs.TimelineOther] {
		return nil // any type: filtered after reading
	}
	var out []string
	for typ, k := range timelineKinds {
		if want[k] {
			out = append(out, typ)
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"-"} // no type is of the kinds asked for
	}
	return out
}

// ClinicalTimeline returns the patient's clinical entries of the kinds
// given, newest first.
func (s *TimelineService) ClinicalTimeline(ctx context.Context, a crs.Actor, patientID string, kinds []string, limit int) ([]*crs.TimelineEntry, error) {
	rs, err := s.Records.PatientResources(ctx, a, patientID, timelineTypes(kinds), limit)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	var out []*crs.TimelineEntry
	for _, r := range rs {
		if filedResultPart(r) {
			continue // the result pages' timeline entry shows it, through the results
		}
		e := timelineEntry(r)
		if len(want) > 0 && !want[e.Kind] {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out, nil
}

// filedResultPart says whether a resource is a filed result's
// DiagnosticReport or one of its Observations: the timeline lists the
// result once, as the result service reads it.
func filedResultPart(r *crs.Resource) bool {
	switch r.Type {
	case "DiagnosticReport":
		return isFiledResult(r)
	case "Observation":
		return hasIdentifierOf(r, observationSystem)
	}
	return false
}

// timelineEntry summarises one resource of any type: what it is (its
// code), when it happened (its clinical time, else when it was
// recorded) and its status.
func timelineEntry(r *crs.Resource) *crs.TimelineEntry {
	var m map[string]any
	_ = json.Unmarshal(r.Body, &m)
	kind := timelineKinds[r.Type]
	if kind == "" {
		kind = crs.TimelineOther
	}
	e := &crs.TimelineEntry{Kind: kind, Title: conceptText(m["code"]), Version: r.Version, At: r.LastUpdated}
	if e.Title == "" {
		e.Title = conceptText(m["type"])
	}
	if e.Title == "" {
		if d, _ := m["description"].(string); d != "" {
			e.Title = d
		} else if t, _ := m["title"].(string); t != "" {
			e.Title = t
		}
	}
	if e.Title == "" {
		e.Title = r.Type
	}
	for _, k := range []string{"effectiveDateTime", "onsetDateTime", "issued", "date", "authoredOn", "recordedDate", "created"} {
		if s, _ := m[k].(string); s != "" {
			if t, ok := parseInstant(s); ok {
				e.At = t
				break
			}
		}
	}
	if p, ok := m["effectivePeriod"].(map[string]any); ok {
		if s, _ := p["start"].(string); s != "" {
			if t, ok := parseInstant(s); ok {
				e.At = t
			}
		}
	}
	e.Status = conceptCode(m["verificationStatus"])
	if e.Status != crs.EnteredInError {
		if c := conceptCode(m["clinicalStatus"]); c != "" {
			e.Status = c
		} else if s, _ := m["status"].(string); s != "" {
			e.Status = s
		}
	}
	e.Status = strings.ReplaceAll(e.Status, "-", " ")
	e.Detail = timelineDetail(r.Type, m)
	switch r.Type {
	case "Condition":
		e.Link = fmt.Sprintf("/patients/%s/problems/%s", r.PatientID, r.ID)
	case "AllergyIntolerance":
		e.Link = fmt.Sprintf("/patients/%s/allergies/%s", r.PatientID, r.ID)
	case "Composition":
		if isNote(r) {
			// A note is placed at the time it is about, and opens on its page.
			e.Link = fmt.Sprintf("/patients/%s/notes/%s", r.PatientID, r.ID)
			if n, err := noteOf(r); err == nil && !n.EffectiveAt.IsZero() {
				e.At = n.EffectiveAt
			}
		}
	}
	return e
}

// timelineDetail is the second line of an entry: an observation's value,
// an allergy's reaction, a problem's category.
func timelineDetail(typ string, m map[string]any) string {
	switch typ {
	case "Observation":
		if q, ok := m["valueQuantity"].(map[string]any); ok {
			v := fmt.Sprint(q["value"])
			if u, _ := q["unit"].(string); u != "" {
				v += " " + u
			}
			return v
		}
		if s, _ := m["valueString"].(string); s != "" {
			return s
		}
		return conceptText(m["valueCodeableConcept"])
	case "AllergyIntolerance":
		if rx, ok := m["reaction"].([]any); ok && len(rx) > 0 {
			r, _ := rx[0].(map[string]any)
			if ms, ok := r["manifestation"].([]any); ok && len(ms) > 0 {
				d := "Reaction: " + conceptText(ms[0])
				if sev, _ := r["severity"].(string); sev != "" {
					d += " (" + sev + ")"
				}
				return d
			}
		}
	case "Condition":
		if cats, ok := m["category"].([]any); ok && len(cats) > 0 {
			if conceptCode(cats[0]) == crs.EncounterDiagnosis {
				return "Encounter diagnosis"
			}
			return "Problem list"
		}
	case "DiagnosticReport", "DocumentReference", "Composition":
		return conceptText(firstOf(m["category"]))
	}
	return ""
}

func firstOf(v any) any {
	if l, ok := v.([]any); ok && len(l) > 0 {
		return l[0]
	}
	return v
}

// conceptText is a CodeableConcept's text, else its first display, else
// its first code.
func conceptText(v any) string {
	c, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if t, _ := c["text"].(string); t != "" {
		return t
	}
	codings, _ := c["coding"].([]any)
	for _, cd := range codings {
		if m, ok := cd.(map[string]any); ok {
			if d, _ := m["display"].(string); d != "" {
				return d
			}
		}
	}
	return conceptCode(c)
}

// conceptCode is the code of a CodeableConcept's first coding.
func conceptCode(v any) string {
	c, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	codings, _ := c["coding"].([]any)
	for _, cd := range codings {
		if m, ok := cd.(map[string]any); ok {
			if s, _ := m["code"].(string); s != "" {
				return s
			}
		}
	}
	return ""
}

// parseInstant reads an R4 date, dateTime or instant; a date is its day
// in London.
func parseInstant(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if lo, _, ok := ParseDateRange(s); ok {
		return lo, true
	}
	return time.Time{}, false
}
