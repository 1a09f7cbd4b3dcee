package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/news2"
)

// The code systems and codes a set of vital signs is written with.
// Each parameter is an R4 vital-signs Observation coded as the R4 vital
// signs profiles ask (LOINC); level of consciousness and air or oxygen
// are coded as the UK Core ACVPU and Inspired Oxygen profiles do (SNOMED
// CT), and the NEWS2 score as UK Core's Early Warning Total Score, each
// parameter's score a component coded with UK Core's NEWS2 sub-score
// codes.
const (
	loinc = "http://loinc.org"
	sct   = "http://snomed.info/sct"
	ucum  = "http://unitsofmeasure.org"

	// VitalSignsSetSystem is the identifier system that ties the
	// Observations of one set of vital signs together: each carries the
	// set's id under it.
	VitalSignsSetSystem = "https://fhir.opencrs.org/Id/vital-signs-set"
	// SpO2ScaleSystem codes the Flag that puts a patient on NEWS2 SpO2
	// scale 2 (code "spo2-scale-2"); the Flag carries the same code as
	// its identifier, so a patient has one such Flag, active while on
	// the scale.
	SpO2ScaleSystem = "https://fhir.opencrs.org/CodeSystem/news2"
	spo2Scale2Code  = "spo2-scale-2"

	codeRespRate   = "9279-1"  // LOINC respiratory rate
	codeSpO2       = "2708-6"  // LOINC oxygen saturation in arterial blood
	codeSpO2Pulse  = "59408-5" // LOINC oxygen saturation by pulse oximetry
	codeBPPanel    = "85354-9" // LOINC blood pressure panel
	codeSystolic   = "8480-6"  // LOINC systolic blood pressure
	codeDiastolic  = "8462-4"  // LOINC diastolic blood pressure
	codeHeartRate  = "8867-4"  // LOINC heart rate
	codeBodyTemp   = "8310-5"  // LOINC body temperature
	codeACVPU      = "1104441000000107"
	codeRoomAir    = "722742002" // SNOMED CT breathing room air
	codeOnOxygen   = "371825009" // SNOMED CT patient on oxygen
	CodeNEWS2Total = "1104051000000101"
)

// acvpuCodes are the SNOMED CT codes of the ACVPU levels (UK Core ACVPU
// value set).
var acvpuCodes = map[news2.Consciousness][2]string{
	news2.Alert:        {"248234008", "Mentally alert"},
	news2.Confusion:    {"130987000", "Acute confusion"},
	news2.Voice:        {"300202002", "Responds to voice"},
	news2.Pain:         {"450847001", "Responds to pain"},
	news2.Unresponsive: {"422768004", "Unresponsive"},
}

// subScores are the SNOMED CT codes of the NEWS2 parameter scores, in
// the order of news2.Score.Parts; SpO2 on scale 2 uses scale2SubScore.
var subScores = [][2]string{
	{"1104301000000104", "Royal College of Physicians National Early Warning Score 2 - respiration rate score"},
	{"1104311000000102", "Royal College of Physicians National Early Warning Score 2 - oxygen saturation scale 1 score"},
	{"1104331000000105", "Royal College of Physicians National Early Warning Score 2 - air or oxygen score"},
	{"1104341000000101", "Royal College of Physicians National Early Warning Score 2 - systolic blood pressure score"},
	{"1104351000000103", "Royal College of Physicians National Early Warning Score 2 - pulse score"},
	{"1104361000000100", "Royal College of Physicians National Early Warning Score 2 - consciousness score"},
	{"1104371000000107", "Royal College of Physicians National Early Warning Score 2 - temperature score"},
}

var scale2SubScore = [2]string{"1104321000000108", "Royal College of Physicians National Early Warning Score 2 - oxygen saturation scale 2 score"}

// ObservationService records and charts vital signs and NEWS2 in the
// resource store (crs.ObservationService).
type ObservationService struct {
	Store     crs.Store
	Resources crs.ResourceStore
}

var _ crs.ObservationService = (*ObservationService)(nil)

// RecordVitalSigns records a set as one command: an Observation per
// parameter taken and, when the set is complete, the NEWS2 score on the
// patient's current SpO2 scale.
func (s *ObservationService) RecordVitalSigns(ctx context.Context, a crs.Actor, v *crs.VitalSigns) error {
	if err := a.Authorize(crs.ActRecordClinical); err != nil {
		return err
	}
	if err := v.Validate(s.Store.Now()); err != nil {
		return err
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		if _, err := tx.GetPatient(v.PatientID); err != nil {
			return err
		}
		scale, err := scaleIn(tx, v.PatientID)
		if err != nil {
			return err
		}
		v.ID, v.RecordedAt, v.RecordedBy, v.Scale, v.Score = crs.NewID(), tx.Now(), a.Username, scale, nil
		var refs []string
		for _, r := range vitalSignsResources(v) {
			stored, err := putVersion(tx, r, "Observation", crs.NewID(), 1)
			if err != nil {
				return err
			}
			refs = append(refs, "Observation/"+stored.ID)
		}
		if !v.Complete() {
			return nil
		}
		score := news2.Compute(v.Vitals(scale))
		v.Score = &score
		total := news2Resource(score, Resource{"subject": refTo("Patient/" + v.PatientID),
			"effectiveDateTime": v.EffectiveAt.UTC().Format(time.RFC3339)}, refs)
		common(total, v)
		_, err = putVersion(tx, total, "Observation", crs.NewID(), 1)
		return err
	})
}

// scaleIn is the SpO2 scale the patient is on, inside a command.
func scaleIn(tx crs.Tx, patientID string) (news2.Scale, error) {
	q, err := scaleQuery(patientID, tx.Now())
	if err != nil {
		return 0, err
	}
	found, err := tx.SearchResources(q)
	if err != nil {
		return 0, err
	}
	if len(found) > 0 && decodeStored(found[0])["status"] == "active" {
		return news2.Scale2, nil
	}
	return news2.Scale1, nil
}

func scaleQuery(patientID string, now time.Time) (crs.ResourceQuery, error) {
	q, err := parseSearchValues("Flag", url.Values{"subject": {"Patient/" + patientID},
		"identifier": {SpO2ScaleSystem + "|" + spo2Scale2Code}, "_count": {"1"}}, now)
	if err != nil {
		return crs.ResourceQuery{}, err
	}
	return q.query, nil
}

// decodeStored reads a stored resource's JSON.
func decodeStored(r *crs.Resource) Resource {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return Resource{}
	}
	return m
}

// reference is a Reference element to "Type/id".
func refTo(s string) map[string]any { return map[string]any{"reference": s} }

func codingOf(system, code, display string) map[string]any {
	return map[string]any{"system": system, "code": code, "display": display}
}

func concept(text string, codings ...map[string]any) map[string]any {
	cs := make([]any, len(codings))
	for i, c := range codings {
		cs[i] = c
	}
	return map[string]any{"coding": cs, "text": text}
}

func quantity(value float64, unit, code string) map[string]any {
	return map[string]any{"value": value, "unit": unit, "system": ucum, "code": code}
}

var vitalSignsCategory = []any{concept("Vital Signs", codingOf("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs"))}

// common fills what every Observation of a set carries: the set's
// identifier, patient, stay, times and who recorded it.
func common(r Resource, v *crs.VitalSigns) {
	r["resourceType"] = "Observation"
	r["status"] = "final"
	r["identifier"] = []any{map[string]any{"system": VitalSignsSetSystem, "value": v.ID}}
	r["subject"] = refTo("Patient/" + v.PatientID)
	if v.SpellID != "" {
		r["encounter"] = refTo(spellReference(v.SpellID))
	}
	r["effectiveDateTime"] = v.EffectiveAt.UTC().Format(time.RFC3339)
	r["issued"] = v.RecordedAt.UTC().Format(instant)
	r["performer"] = []any{map[string]any{"display": v.RecordedBy}}
}

// vitalSignsResources are the Observations of the parameters a set
// holds. Blood pressure is the R4 blood pressure panel (85354-9) with
// the systolic and, when taken, diastolic as components.
func vitalSignsResources(v *crs.VitalSigns) []Resource {
	var out []Resource
	add := func(profile string, code map[string]any, value map[string]any) {
		r := Resource{"category": vitalSignsCategory, "code": code}
		if profile != "" {
			r["meta"] = map[string]any{"profile": []any{"http://hl7.org/fhir/StructureDefinition/" + profile}}
		}
		for k, x := range value {
			r[k] = x
		}
		common(r, v)
		out = append(out, r)
	}
	if v.RespirationRate != nil {
		add("resprate", concept("Respiratory rate", codingOf(loinc, codeRespRate, "Respiratory rate")),
			map[string]any{"valueQuantity": quantity(float64(*v.RespirationRate), "breaths/minute", "/min")})
	}
	if v.SpO2 != nil {
		add("oxygensat", concept("Oxygen saturation", codingOf(loinc, codeSpO2, "Oxygen saturation in Arterial blood"),
			codingOf(loinc, codeSpO2Pulse, "Oxygen saturation in Arterial blood by Pulse oximetry")),
			map[string]any{"valueQuantity": quantity(float64(*v.SpO2), "%", "%")})
	}
	if v.OnOxygen != nil {
		c := concept("Breathing room air", codingOf(sct, codeRoomAir, "Breathing room air"))
		if *v.OnOxygen {
			c = concept("Patient on oxygen", codingOf(sct, codeOnOxygen, "Patient on oxygen"))
		}
		add("", c, nil)
	}
	if v.Systolic != nil {
		comps := []any{map[string]any{"code": concept("Systolic blood pressure", codingOf(loinc, codeSystolic, "Systolic blood pressure")),
			"valueQuantity": quantity(float64(*v.Systolic), "mmHg", "mm[Hg]")}}
		dia := map[string]any{"code": concept("Diastolic blood pressure", codingOf(loinc, codeDiastolic, "Diastolic blood pressure"))}
		if v.Diastolic != nil {
			dia["valueQuantity"] = quantity(float64(*v.Diastolic), "mmHg", "mm[Hg]")
		} else {
			dia["dataAbsentReason"] = concept("Not performed", codingOf("http://terminology.hl7.org/CodeSystem/data-absent-reason", "not-performed", "Not Performed"))
		}
		add("bp", concept("Blood pressure", codingOf(loinc, codeBPPanel, "Blood pressure panel with all children optional")),
			map[string]any{"component": append(comps, dia)})
	}
	if v.Pulse != nil {
		add("heartrate", concept("Heart rate", codingOf(loinc, codeHeartRate, "Heart rate")),
			map[string]any{"valueQuantity": quantity(float64(*v.Pulse), "beats/minute", "/min")})
	}
	if v.Consciousness != "" {
		c := acvpuCodes[v.Consciousness]
		add("", concept("ACVPU", codingOf(sct, codeACVPU, "ACVPU (Alert Confusion Voice Pain Unresponsive) scale score")),
			map[string]any{"valueCodeableConcept": concept(v.Consciousness.Name(), codingOf(sct, c[0], c[1]))})
	}
	if v.Temperature != nil {
		add("bodytemp", concept("Body temperature", codingOf(loinc, codeBodyTemp, "Body temperature")),
			map[string]any{"valueQuantity": quantity(math.Round(*v.Temperature*10)/10, "C", "Cel")})
	}
	return out
}

// news2Resource is the NEWS2 score Observation of a set, with subject
// and effective time taken from at, derived from the Observations
// named by refs.
func news2Resource(s news2.Score, at Resource, refs []string) Resource {
	comps := make([]any, 0, 7)
	for i, p := range s.Parts() {
		c := subScores[i]
		if i == 1 && s.Scale == news2.Scale2 {
			c = scale2SubScore
		}
		comps = append(comps, map[string]any{"code": concept(c[1], codingOf(sct, c[0], c[1])), "valueInteger": p})
	}
	derived := make([]any, len(refs))
	for i, r := range refs {
		derived[i] = refTo(r)
	}
	r := Resource{
		"resourceType": "Observation",
		"status":       "final",
		"category":     []any{concept("Survey", codingOf("http://terminology.hl7.org/CodeSystem/observation-category", "survey", "Survey"))},
		"code": concept("NEWS2 total score", codingOf(sct, CodeNEWS2Total,
			"Royal College of Physicians NEWS2 (National Early Warning Score 2) total score")),
		"subject":           at["subject"],
		"effectiveDateTime": at["effectiveDateTime"],
		"valueInteger":      s.Total,
		"interpretation":    []any{map[string]any{"text": riskText(s)}},
		"component":         comps,
		"derivedFrom":       derived,
	}
	return r
}

// riskText says the clinical risk of a score as the chart does.
func riskText(s news2.Score) string {
	d := s.Risk.Describe()
	return strings.ToUpper(d[:1]) + d[1:]
}

// codes lists the system|code of a CodeableConcept.
func codes(v any) []string {
	c, _ := v.(map[string]any)
	cs, _ := c["coding"].([]any)
	var out []string
	for _, x := range cs {
		m, _ := x.(map[string]any)
		sys, _ := m["system"].(string)
		code, _ := m["code"].(string)
		out = append(out, sys+"|"+code)
	}
	return out
}

func hasCode(v any, system string, want ...string) bool {
	for _, c := range codes(v) {
		for _, w := range want {
			if c == system+"|"+w {
				return true
			}
		}
	}
	return false
}

// number is a Quantity's value.
func number(v any) (float64, bool) {
	q, _ := v.(map[string]any)
	return numberOf(q["value"])
}

// numberOf reads a JSON number: as posted (json.Number), stored
// (float64), or as OpenCRS builds a resource it writes itself (a Go
// number: a nurse's vital signs, a result's value), for the search index
// too.
func numberOf(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func intOf(f float64) *int { n := int(math.Round(f)); return &n }

// readParameter fills the parameter r records into v and says which it
// was ("" when r is no parameter of a set). isTotal reports a NEWS2
// score Observation.
func readParameter(v *crs.VitalSigns, r Resource) (param string, isTotal bool) {
	code := r["code"]
	value, hasValue := number(r["valueQuantity"])
	switch {
	case hasCode(code, sct, CodeNEWS2Total):
		return "", true
	case hasCode(code, loinc, codeRespRate) && hasValue:
		v.RespirationRate = intOf(value)
		return "respiration_rate", false
	case hasCode(code, loinc, codeSpO2, codeSpO2Pulse) && hasValue:
		v.SpO2 = intOf(value)
		return "spo2", false
	case hasCode(code, sct, codeRoomAir):
		f := false
		v.OnOxygen = &f
		return "air_or_oxygen", false
	case hasCode(code, sct, codeOnOxygen):
		t := true
		v.OnOxygen = &t
		return "air_or_oxygen", false
	case hasCode(code, loinc, codeSystolic) && hasValue:
		v.Systolic = intOf(value)
		return "systolic", false
	case hasCode(code, loinc, codeBPPanel):
		comps, _ := r["component"].([]any)
		for _, c := range comps {
			m, _ := c.(map[string]any)
			if n, ok := number(m["valueQuantity"]); ok && hasCode(m["code"], loinc, codeSystolic) {
				v.Systolic = intOf(n)
			} else if ok && hasCode(m["code"], loinc, codeDiastolic) {
				v.Diastolic = intOf(n)
			}
		}
		if v.Systolic != nil {
			return "systolic", false
		}
	case hasCode(code, loinc, codeHeartRate) && hasValue:
		v.Pulse = intOf(value)
		return "pulse", false
	case hasCode(code, sct, codeACVPU):
		for level, c := range acvpuCodes {
			if hasCode(r["valueCodeableConcept"], sct, c[0]) {
				v.Consciousness = level
				return "consciousness", false
			}
		}
	case hasCode(code, loinc, codeBodyTemp) && hasValue:
		q, _ := r["valueQuantity"].(map[string]any)
		if u, _ := q["code"].(string); u == "[degF]" {
			value = (value - 32) * 5 / 9
		}
		t := math.Round(value*10) / 10
		v.Temperature = &t
		return "temperature", false
	}
	return "", false
}

// readScore reads a NEWS2 score Observation's parts back.
func readScore(r Resource) *news2.Score {
	s := &news2.Score{Scale: news2.Scale1}
	total, ok := numberOf(r["valueInteger"])
	if !ok {
		return nil
	}
	s.Total = int(total)
	comps, _ := r["component"].([]any)
	for _, c := range comps {
		m, _ := c.(map[string]any)
		n, _ := numberOf(m["valueInteger"])
		part := int(n)
		for i, sub := range subScores {
			if !hasCode(m["code"], sct, sub[0]) && !(i == 1 && hasCode(m["code"], sct, scale2SubScore[0])) {
				continue
			}
			if i == 1 && hasCode(m["code"], sct, scale2SubScore[0]) {
				s.Scale = news2.Scale2
			}
			*[]*int{&s.RespirationRate, &s.SpO2, &s.AirOrOxygen, &s.Systolic, &s.Pulse, &s.Consciousness, &s.Temperature}[i] = part
			s.Red = s.Red || part == 3
		}
	}
	s.Risk, s.Interval = news2.Escalation(s.Total, s.Red)
	return s
}

// effective is an Observation's effective time.
func effective(r Resource) time.Time {
	lo, _, _ := dateRange(r["effectiveDateTime"])
	return lo
}

// setOf reads the common fields of a set from one of its Observations.
func setOf(r Resource) *crs.VitalSigns {
	v := &crs.VitalSigns{EffectiveAt: effective(r)}
	ids, _ := r["identifier"].([]any)
	for _, x := range ids {
		m, _ := x.(map[string]any)
		if m["system"] == VitalSignsSetSystem {
			v.ID, _ = m["value"].(string)
		}
	}
	if s, _ := r["subject"].(map[string]any); s != nil {
		ref, _ := s["reference"].(string)
		v.PatientID = strings.TrimPrefix(ref, "Patient/")
	}
	if e, _ := r["encounter"].(map[string]any); e != nil {
		ref, _ := e["reference"].(string)
		v.SpellID = spellOfReference(ref)
	}
	if s, _ := r["issued"].(string); s != "" {
		v.RecordedAt, _ = time.Parse(time.RFC3339, s)
	}
	if ps, _ := r["performer"].([]any); len(ps) > 0 {
		m, _ := ps[0].(map[string]any)
		v.RecordedBy, _ = m["display"].(string)
	}
	if r["status"] == "entered-in-error" {
		v.EnteredInError = true
		notes, _ := r["note"].([]any)
		for _, n := range notes {
			m, _ := n.(map[string]any)
			t, _ := m["text"].(string)
			v.ErrorReason = strings.TrimPrefix(t, "Entered in error: ")
		}
	}
	return v
}

func (s *ObservationService) search(ctx context.Context, a crs.Actor, typ string, vals url.Values) ([]*crs.Resource, error) {
	q, err := parseSearchValues(typ, vals, s.Store.Now())
	if err != nil {
		return nil, err
	}
	found, _, err := s.Resources.SearchResources(ctx, a, q.query)
	return found, err
}

// VitalSigns lists the patient's sets recorded through the service,
// newest first.
func (s *ObservationService) VitalSigns(ctx context.Context, a crs.Actor, patientID string, since time.Time, limit int) ([]*crs.VitalSigns, error) {
	if limit <= 0 {
		limit = 20
	}
	found, err := s.search(ctx, a, "Observation", url.Values{"subject": {"Patient/" + patientID},
		"identifier": {VitalSignsSetSystem + "|"}, "date": {"ge" + since.UTC().Format(time.RFC3339)},
		"_sort": {"-date"}, "_count": {strconv.Itoa(limit * 8)}})
	if err != nil {
		return nil, err
	}
	var sets []*crs.VitalSigns
	byID := map[string]*crs.VitalSigns{}
	for _, f := range found {
		r := decodeStored(f)
		v := setOf(r)
		if v.PatientID != patientID || v.ID == "" {
			continue
		}
		set := byID[v.ID]
		if set == nil {
			if len(sets) == limit {
				continue
			}
			set = v
			byID[v.ID] = v
			sets = append(sets, v)
		}
		if _, isTotal := readParameter(set, r); isTotal {
			set.Score = readScore(r)
			set.Scale = set.Score.Scale
		}
	}
	return sets, nil
}

// LatestNEWS2 finds each patient's latest NEWS2 score in two searches
// whatever the number of patients: the scores of the last two days of
// them all, then, for those with none there, their older scores.
func (s *ObservationService) LatestNEWS2(ctx context.Context, a crs.Actor, patientIDs []string) (map[string]*crs.VitalSigns, error) {
	out := map[string]*crs.VitalSigns{}
	if len(patientIDs) == 0 {
		return out, a.Authorize(crs.ActViewClinical)
	}
	missing := patientIDs
	for _, since := range []time.Time{s.Store.Now().Add(-48 * time.Hour), {}} {
		refs := make([]string, len(missing))
		for i, id := range missing {
			refs[i] = "Patient/" + id
		}
		vals := url.Values{"subject": {strings.Join(refs, ",")}, "code": {sct + "|" + CodeNEWS2Total},
			"_sort": {"-date"}, "_count": {strconv.Itoa(maxCount)}}
		if !since.IsZero() {
			vals.Set("date", "ge"+since.UTC().Format(time.RFC3339))
		}
		found, err := s.search(ctx, a, "Observation", vals)
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			r := decodeStored(f)
			if r["status"] == "entered-in-error" {
				continue
			}
			v := setOf(r)
			if out[v.PatientID] != nil {
				continue
			}
			if v.Score = readScore(r); v.Score == nil {
				continue
			}
			v.Scale = v.Score.Scale
			out[v.PatientID] = v
		}
		var still []string
		for _, id := range missing {
			if out[id] == nil {
				still = append(still, id)
			}
		}
		if missing = still; len(missing) == 0 {
			break
		}
	}
	return out, nil
}

// MarkVitalSignsInError gives each Observation of the set, its NEWS2
// score included, a version with status entered-in-error and the
// reason as a note.
func (s *ObservationService) MarkVitalSignsInError(ctx context.Context, a crs.Actor, patientID, setID, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return crs.FieldErrorf("reason", "Enter why the observations were entered in error")
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		q, err := parseSearchValues("Observation", url.Values{"subject": {"Patient/" + patientID},
			"identifier": {VitalSignsSetSystem + "|" + setID}, "_count": {"50"}}, tx.Now())
		if err != nil {
			return err
		}
		found, err := tx.SearchResources(q.query)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return crs.Errorf(crs.ENOTFOUND, "The patient has no set of observations %s", setID)
		}
		for _, f := range found {
			r := decodeStored(f)
			if r["status"] == "entered-in-error" {
				return crs.Errorf(crs.ECONFLICT, "These observations are already marked entered in error")
			}
			r["status"] = "entered-in-error"
			r["note"] = []any{map[string]any{"text": "Entered in error: " + reason, "authorString": a.Username,
				"time": tx.Now().UTC().Format(instant)}}
			if _, err := putVersion(tx, r, "Observation", f.ID, f.Version+1); err != nil {
				return err
			}
		}
		return nil
	})
}

// SpO2Scale reads the patient's scale 2 Flag.
func (s *ObservationService) SpO2Scale(ctx context.Context, a crs.Actor, patientID string) (*crs.SpO2ScaleDecision, error) {
	q, err := scaleQuery(patientID, s.Store.Now())
	if err != nil {
		return nil, err
	}
	found, _, err := s.Resources.SearchResources(ctx, a, q)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, crs.Errorf(crs.ENOTFOUND, "The patient was never put on SpO2 scale 2")
	}
	return decisionOf(found[0]), nil
}

func decisionOf(f *crs.Resource) *crs.SpO2ScaleDecision {
	r := decodeStored(f)
	d := &crs.SpO2ScaleDecision{ID: f.ID, PatientID: f.PatientID, OnScale2: r["status"] == "active"}
	if p, _ := r["period"].(map[string]any); p != nil {
		d.Since, _, _ = dateRange(p["start"])
		d.Until, _, _ = dateRange(p["end"])
	}
	if au, _ := r["author"].(map[string]any); au != nil {
		d.DecidedBy, _ = au["display"].(string)
	}
	exts, _ := r["extension"].([]any)
	for _, x := range exts {
		m, _ := x.(map[string]any)
		if m["url"] == decisionReasonURL {
			d.Reason, _ = m["valueString"].(string)
		}
	}
	return d
}

// decisionReasonURL is the extension that holds why a clinician put a
// patient on SpO2 scale 2 or took them off it.
const decisionReasonURL = "https://fhir.opencrs.org/StructureDefinition/decision-reason"

// SetSpO2Scale2 writes the patient's scale 2 Flag: active from now when
// put on, inactive with its period ended when taken off.
func (s *ObservationService) SetSpO2Scale2(ctx context.Context, a crs.Actor, patientID string, on bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return crs.FieldErrorf("reason", "Enter the clinical reason for the decision")
	}
	return s.Store.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
		if _, err := tx.GetPatient(patientID); err != nil {
			return err
		}
		q, err := scaleQuery(patientID, tx.Now())
		if err != nil {
			return err
		}
		found, err := tx.SearchResources(q)
		if err != nil {
			return err
		}
		now := tx.Now().UTC().Format(time.RFC3339)
		id, version := crs.NewID(), 1
		period := map[string]any{"start": now}
		if len(found) > 0 {
			cur := decodeStored(found[0])
			if (cur["status"] == "active") == on {
				if on {
					return crs.Errorf(crs.ECONFLICT, "The patient is already on SpO2 scale 2")
				}
				return crs.Errorf(crs.ECONFLICT, "The patient is not on SpO2 scale 2")
			}
			id, version = found[0].ID, found[0].Version+1
			if p, _ := cur["period"].(map[string]any); p != nil && !on {
				period["start"] = p["start"]
			}
		} else if !on {
			return crs.Errorf(crs.ECONFLICT, "The patient is not on SpO2 scale 2")
		}
		status := "active"
		if !on {
			status = "inactive"
			period["end"] = now
		}
		flag := Resource{
			"resourceType": "Flag",
			"identifier":   []any{map[string]any{"system": SpO2ScaleSystem, "value": spo2Scale2Code}},
			"extension":    []any{map[string]any{"url": decisionReasonURL, "valueString": reason}},
			"status":       status,
			"category":     []any{concept("Clinical", codingOf("http://terminology.hl7.org/CodeSystem/flag-category", "clinical", "Clinical"))},
			"code": concept("NEWS2 SpO2 scale 2: target oxygen saturation 88-92%",
				codingOf(SpO2ScaleSystem, spo2Scale2Code, "NEWS2 SpO2 scale 2 (target saturation 88-92%)")),
			"subject": refTo("Patient/" + patientID),
			"period":  period,
			"author":  map[string]any{"display": a.Username},
		}
		_, err = putVersion(tx, flag, "Flag", id, version)
		return err
	})
}

// scoreTransaction computes and stores the NEWS2 score of each complete
// set of vital signs a transaction Bundle creates: Observations of one
// subject and effectiveDateTime holding respiration rate, SpO2, air or
// oxygen, systolic blood pressure, pulse, ACVPU and temperature. A group
// that brings its own NEWS2 score, or lacks a parameter, is left alone.
// A complete set with a value no patient can show is refused, naming
// the entry.
func scoreTransaction(tx crs.Tx, entries []*txEntry) error {
	type group struct {
		subject, effective string
		set                crs.VitalSigns
		refs               []string
		entryOf            map[string]int
		hasTotal           bool
	}
	groups := map[string]*group{}
	var order []string
	for _, e := range entries {
		if e.typ != "Observation" || e.resource == nil || e.resolvedRef != "" || (e.method != "POST" && e.method != "PUT") {
			continue
		}
		r := e.resource
		if st, _ := r["status"].(string); st == "entered-in-error" || st == "cancelled" {
			continue
		}
		subj, _ := r["subject"].(map[string]any)
		subject, _ := subj["reference"].(string)
		eff, _ := r["effectiveDateTime"].(string)
		if !strings.HasPrefix(subject, "Patient/") || eff == "" {
			continue
		}
		key := subject + " " + eff
		g := groups[key]
		if g == nil {
			g = &group{subject: subject, effective: eff, entryOf: map[string]int{}}
			groups[key] = g
			order = append(order, key)
		}
		param, isTotal := readParameter(&g.set, r)
		g.hasTotal = g.hasTotal || isTotal
		if param == "" {
			continue
		}
		id := e.newID
		if id == "" {
			id = e.id
		}
		g.refs = append(g.refs, "Observation/"+id)
		g.entryOf[param] = e.index
	}
	sort.Strings(order)
	for _, key := range order {
		g := groups[key]
		if g.hasTotal || !g.set.Complete() {
			continue
		}
		g.set.PatientID = strings.TrimPrefix(g.subject, "Patient/")
		g.set.EffectiveAt = effective(Resource{"effectiveDateTime": g.effective})
		if err := g.set.Validate(tx.Now()); err != nil {
			var es crs.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				return err
			}
			first := es[0]
			at := "Bundle.entry"
			if i, ok := g.entryOf[first.Field]; ok {
				at = fmt.Sprintf("Bundle.entry[%d].resource", i)
			}
			return invalid("value", at, "NEWS2 cannot be scored: %s", first.Message)
		}
		scale, err := scaleIn(tx, g.set.PatientID)
		if err != nil {
			return err
		}
		total := news2Resource(news2.Compute(g.set.Vitals(scale)),
			Resource{"subject": refTo(g.subject), "effectiveDateTime": g.effective}, g.refs)
		if _, err := putVersion(tx, total, "Observation", crs.NewID(), 1); err != nil {
			return err
		}
	}
	return nil
}
