package fhir_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/news2"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// vitalsBundle is a transaction Bundle of one complete set of vital
// signs of a patient, taken at one time: the shape README documents.
func vitalsBundle(pid, at string, rr, spo2 int, oxygen bool, sys, hr int, acvpu string, temp float64) string {
	air := `{"system":"http://snomed.info/sct","code":"722742002","display":"Breathing room air"}`
	if oxygen {
		air = `{"system":"http://snomed.info/sct","code":"371825009","display":"Patient on oxygen"}`
	}
	cat := `"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}]`
	obs := func(n int, body string) string {
		return fmt.Sprintf(`{"fullUrl":"urn:uuid:6f1c2a3e-0000-4000-8000-00000000000%d","resource":{"resourceType":"Observation","status":"final",%s,
 "subject":{"reference":"Patient/%s"},"effectiveDateTime":"%s",%s},"request":{"method":"POST","url":"Observation"}}`, n, cat, pid, at, body)
	}
	q := func(code, unit string, v any) string {
		return fmt.Sprintf(`"code":{"coding":[{"system":"http://loinc.org","code":%q}]},"valueQuantity":{"value":%v,"unit":%q,"system":"http://unitsofmeasure.org","code":%q}`, code, v, unit, unit)
	}
	entries := []string{
		obs(1, q("9279-1", "/min", rr)),
		obs(2, q("2708-6", "%", spo2)),
		obs(3, `"code":{"coding":[`+air+`]}`),
		obs(4, fmt.Sprintf(`"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"component":[
  {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
  {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":70,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]`, sys)),
		obs(5, q("8867-4", "/min", hr)),
		obs(6, `"code":{"coding":[{"system":"http://snomed.info/sct","code":"1104441000000107"}]},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"`+acvpu+`"}]}`),
		obs(7, q("8310-5", "Cel", temp)),
	}
	return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",\n") + `]}`
}

const news2Search = "/fhir/Observation?code=http://snomed.info/sct|1104051000000101&_sort=-date&subject=Patient/"

// components maps a NEWS2 Observation's component codes to their
// scores.
func components(t *testing.T, obs map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range obs["component"].([]any) {
		m := c.(map[string]any)
		code := m["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)
		out[code] = fmt.Sprint(m["valueInteger"])
	}
	return out
}

func TestNEWS2FromTransaction(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		tr := storetest.NewTrust(t, db, "RFC")
		all, _ := fhir.ParseScopes("system/*.*")
		f.server.Auth = bearerAuth{"c": {Actor: tr.Actor(crs.RoleInterface), Scopes: all}}
		c := &client{t, f.base, "c"}
		ctx := context.Background()
		p := &crs.Patient{FamilyName: "SCORE", GivenName: "Nina", BirthDate: crs.NewDate(1940, 2, 3), NHSNumber: "9990000018", Gender: "2",
			Address: crs.Address{Lines: []string{"1 High Street"}, Postcode: "E1 6AN"}}
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}

		// Respiration 22 (2), SpO2 95 (1), air (0), systolic 105 (1),
		// pulse 95 (1), alert (0), 38.4 °C (1): 6, medium.
		r := c.do("POST", "/fhir", vitalsBundle(p.ID, "2026-03-02T08:30:00Z", 22, 95, false, 105, 95, "248234008", 38.4))
		if r.status != 200 {
			t.Fatalf("transaction: %d %s", r.status, r.body)
		}
		got := c.do("GET", news2Search+p.ID, "").json(t)
		if es, _ := got["entry"].([]any); len(es) != 1 {
			t.Fatalf("NEWS2 observations = %d, want 1: %v", len(es), got)
		}
		obs := got["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if fmt.Sprint(obs["valueInteger"]) != "6" {
			t.Errorf("NEWS2 total = %v, want 6", obs["valueInteger"])
		}
		want := map[string]string{"1104301000000104": "2", "1104311000000102": "1", "1104331000000105": "0", "1104341000000101": "1",
			"1104351000000103": "1", "1104361000000100": "0", "1104371000000107": "1"}
		if comps := components(t, obs); fmt.Sprint(comps) != fmt.Sprint(want) {
			t.Errorf("components = %v, want %v", comps, want)
		}
		derived := obs["derivedFrom"].([]any)
		if len(derived) != 7 {
			t.Errorf("derivedFrom %d observations, want 7", len(derived))
		}
		for _, d := range derived {
			if ref := d.(map[string]any)["reference"].(string); c.do("GET", "/fhir/"+ref, "").status != 200 {
				t.Errorf("derivedFrom %s does not read", ref)
			}
		}
		if obs["effectiveDateTime"] != "2026-03-02T08:30:00Z" || obs["subject"].(map[string]any)["reference"] != "Patient/"+p.ID {
			t.Errorf("NEWS2 subject and time: %v %v", obs["subject"], obs["effectiveDateTime"])
		}
		b, _ := json.Marshal(obs)
		if _, err := fhir.Decode(b); err != nil {
			t.Errorf("the NEWS2 observation is not valid R4: %v", err)
		}

		// On SpO2 scale 2, 90% on oxygen scores 0 (air or oxygen 2).
		obsSvc := &fhir.ObservationService{Store: db, Resources: store.NewResourceService(db)}
		doctor := tr.Actor(crs.RoleDoctor)
		storetest.Relate(t, db, doctor, p.ID)
		if err := obsSvc.SetSpO2Scale2(ctx, doctor, p.ID, true, "COPD with hypercapnic respiratory failure"); err != nil {
			t.Fatal(err)
		}
		if r := c.do("POST", "/fhir", vitalsBundle(p.ID, "2026-03-02T09:00:00Z", 16, 90, true, 120, 70, "248234008", 37.0)); r.status != 200 {
			t.Fatalf("transaction on scale 2: %d %s", r.status, r.body)
		}
		got = c.do("GET", news2Search+p.ID, "").json(t)
		obs = got["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if comps := components(t, obs); fmt.Sprint(obs["valueInteger"]) != "2" || comps["1104321000000108"] != "0" {
			t.Errorf("scale 2: total %v components %v, want 2 with the scale 2 score 0", obs["valueInteger"], comps)
		}

		// A set without ACVPU is not scored; a complete set with a pulse
		// no patient shows is refused, naming its entry.
		partial := vitalsBundle(p.ID, "2026-03-02T10:00:00Z", 16, 97, false, 120, 70, "248234008", 37.0)
		var pb map[string]any
		json.Unmarshal([]byte(partial), &pb)
		pb["entry"] = pb["entry"].([]any)[:5]
		pj, _ := json.Marshal(pb)
		if r := c.do("POST", "/fhir", string(pj)); r.status != 200 {
			t.Fatalf("partial set: %d %s", r.status, r.body)
		}
		if n := c.do("GET", news2Search+p.ID+"&_summary=count", "").json(t)["total"]; fmt.Sprint(n) != "2" {
			t.Errorf("NEWS2 observations after a partial set = %v, want 2", n)
		}
		r = c.do("POST", "/fhir", vitalsBundle(p.ID, "2026-03-02T08:45:00Z", 16, 97, false, 120, 400, "248234008", 37.0))
		if r.status != 400 || !strings.Contains(string(r.body), "Bundle.entry[4]") || !strings.Contains(string(r.body), "Pulse") {
			t.Errorf("impossible pulse: %d %s, want 400 naming entry 4", r.status, r.body)
		}
	})
}

func TestObservationService(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RFC")
		p := &crs.Patient{FamilyName: "CHART", GivenName: "Olu", BirthDate: crs.NewDate(1950, 2, 3), NHSNumber: "9990000026", Gender: "1",
			Address: crs.Address{Lines: []string{"1 High Street"}, Postcode: "E1 6AN"}}
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		s := &fhir.ObservationService{Store: db, Resources: store.NewResourceService(db)}
		nurse := tr.Actor(crs.RoleNurse)
		storetest.Relate(t, db, nurse, p.ID)
		i := func(n int) *int { return &n }
		b := func(v bool) *bool { return &v }
		fl := func(v float64) *float64 { return &v }
		v := &crs.VitalSigns{PatientID: p.ID, EffectiveAt: clock.Now().Add(-time.Hour), RespirationRate: i(26), SpO2: i(96), OnOxygen: b(false),
			Systolic: i(130), Diastolic: i(80), Pulse: i(80), Consciousness: news2.Alert, Temperature: fl(37.2)}
		if err := s.RecordVitalSigns(ctx, tr.Actor(crs.RoleClerk), v); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk recording observations: %v, want EFORBIDDEN", err)
		}
		if err := s.RecordVitalSigns(ctx, nurse, v); err != nil {
			t.Fatal(err)
		}
		if v.Score == nil || v.Score.Total != 3 || !v.Score.Red || v.Score.Risk != news2.RiskLowMedium || v.Score.Interval != time.Hour {
			t.Fatalf("score = %+v, want 3, red, low-medium, hourly", v.Score)
		}
		partial := &crs.VitalSigns{PatientID: p.ID, EffectiveAt: clock.Now(), Pulse: i(88), Temperature: fl(36.8)}
		if err := s.RecordVitalSigns(ctx, nurse, partial); err != nil || partial.Score != nil {
			t.Fatalf("partial set: %v, score %+v", err, partial.Score)
		}
		bad := &crs.VitalSigns{PatientID: p.ID, EffectiveAt: clock.Now(), SpO2: i(120)}
		err := s.RecordVitalSigns(ctx, nurse, bad)
		if crs.ErrorCode(err) != crs.EINVALID || !strings.Contains(err.Error(), "SpO2 must be between 50 and 100") {
			t.Errorf("SpO2 120: %v", err)
		}

		sets, err := s.VitalSigns(ctx, nurse, p.ID, clock.Now().Add(-24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(sets) != 2 || sets[0].ID != partial.ID || sets[1].ID != v.ID {
			t.Fatalf("sets = %d, want the partial then the first", len(sets))
		}
		first := sets[1]
		if *first.RespirationRate != 26 || *first.SpO2 != 96 || *first.OnOxygen || *first.Systolic != 130 || *first.Diastolic != 80 ||
			*first.Pulse != 80 || first.Consciousness != news2.Alert || *first.Temperature != 37.2 || first.Score == nil || first.Score.Total != 3 ||
			first.RecordedBy != nurse.Username {
			t.Errorf("first set read back: %+v score %+v", first, first.Score)
		}
		if sets[0].Score != nil || *sets[0].Pulse != 88 || sets[0].SpO2 != nil {
			t.Errorf("partial set read back: %+v", sets[0])
		}
		// The sets' Observations are indexed as their bodies read (their
		// quantities too, found by value-quantity): a reindex finds
		// nothing to write again.
		if n, err := fhir.Reindex(ctx, db, tr.System, []string{"Observation"}, nil); err != nil || n.TotalLooked == 0 || n.TotalRewritten != 0 {
			t.Errorf("reindex after recording: looked at %d, rewrote %d (%v); want some and none", n.TotalLooked, n.TotalRewritten, err)
		}
		other := &crs.Patient{FamilyName: "NONE", GivenName: "Yet", BirthDate: crs.NewDate(1960, 2, 3), NHSNumber: "9990000034", Gender: "1",
			Address: crs.Address{Lines: []string{"2 High Street"}, Postcode: "E1 6AN"}}
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), other); err != nil {
			t.Fatal(err)
		}
		latest, err := s.LatestNEWS2(ctx, nurse, []string{other.ID, p.ID})
		if len(latest) != 1 || latest[other.ID] != nil {
			t.Errorf("latest of two patients, one with no observations: %d found", len(latest))
		}
		if err != nil || latest[p.ID] == nil || latest[p.ID].Score.Total != 3 || !latest[p.ID].Due().Equal(v.EffectiveAt.Add(time.Hour)) {
			t.Fatalf("latest = %+v, %v", latest[p.ID], err)
		}

		// Every Observation written is valid R4.
		found, _, err := store.NewResourceService(db).SearchResources(ctx, nurse, crs.ResourceQuery{Type: "Observation", Count: 100})
		if err != nil || len(found) != 10 {
			t.Fatalf("observations stored: %d, %v; want 9 and 1 NEWS2", len(found), err)
		}
		for _, r := range found {
			if _, err := fhir.Decode(r.Body); err != nil {
				t.Errorf("stored observation is not valid R4: %v\n%s", err, r.Body)
			}
		}

		// Entered in error: kept with its reason, no longer the latest.
		if err := s.MarkVitalSignsInError(ctx, nurse, p.ID, v.ID, ""); crs.ErrorCode(err) != crs.EINVALID {
			t.Errorf("no reason: %v", err)
		}
		if err := s.MarkVitalSignsInError(ctx, nurse, p.ID, v.ID, "wrong patient"); err != nil {
			t.Fatal(err)
		}
		sets, _ = s.VitalSigns(ctx, nurse, p.ID, clock.Now().Add(-24*time.Hour), 10)
		if len(sets) != 2 || !sets[1].EnteredInError || sets[1].ErrorReason != "wrong patient" {
			t.Errorf("after entered in error: %+v", sets[1])
		}
		if latest, _ := s.LatestNEWS2(ctx, nurse, []string{p.ID}); latest[p.ID] != nil {
			t.Errorf("latest after entered in error = %+v, want none", latest[p.ID])
		}

		// SpO2 scale 2: a clinician's decision, recorded as a Flag.
		if _, err := s.SpO2Scale(ctx, nurse, p.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("scale before any decision: %v", err)
		}
		doctor := tr.Actor(crs.RoleDoctor)
		storetest.Relate(t, db, doctor, p.ID)
		if err := s.SetSpO2Scale2(ctx, doctor, p.ID, true, "COPD, target 88-92%"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetSpO2Scale2(ctx, doctor, p.ID, true, "again"); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Errorf("put on twice: %v", err)
		}
		d, err := s.SpO2Scale(ctx, nurse, p.ID)
		if err != nil || !d.OnScale2 || d.Reason != "COPD, target 88-92%" || d.DecidedBy != doctor.Username {
			t.Errorf("decision = %+v, %v", d, err)
		}
		o2 := &crs.VitalSigns{PatientID: p.ID, EffectiveAt: clock.Now(), RespirationRate: i(18), SpO2: i(89), OnOxygen: b(true),
			Systolic: i(130), Pulse: i(80), Consciousness: news2.Alert, Temperature: fl(37.0)}
		if err := s.RecordVitalSigns(ctx, nurse, o2); err != nil || o2.Scale != news2.Scale2 || o2.Score.Total != 2 {
			t.Errorf("on scale 2: %v, scale %d score %+v; want 2", err, o2.Scale, o2.Score)
		}
		if err := s.SetSpO2Scale2(ctx, doctor, p.ID, false, "no longer retaining CO2"); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.SpO2Scale(ctx, nurse, p.ID); d == nil || d.OnScale2 || d.Until.IsZero() {
			t.Errorf("after taking off: %+v", d)
		}
		hist, _ := store.NewResourceService(db).ResourceHistory(ctx, nurse, "Flag", d.ID, time.Time{}, "", 10)
		if len(hist) != 2 {
			t.Errorf("the Flag has %d versions, want 2 (on, off)", len(hist))
		}
	})
}
