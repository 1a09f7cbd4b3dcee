package fhir_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSpellWrites: an inpatient Encounter of the trust POSTed admits the
// patient through the PAS's admission (ward, bed, consultant, method and
// source as the ward screen records them; a bed another patient holds
// refused); what the PAS's rules refuse, or it does not keep, is refused
// naming the element; such an Encounter is not kept in the resource
// store (nor sent in a Bundle), one of care elsewhere still is; a
// location entry added moves the patient, status finished discharges
// them (method, destination, when), and nothing else of the spell
// changes.
func TestSpellWrites(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		admin, clerk := f.trustA.Actor(crs.RoleAdmin), f.trustA.Actor(crs.RoleClerk)
		orgs, ip := store.NewOrganisationService(db), store.NewInpatientService(db)
		site := addLocation(t, orgs, admin, &crs.Location{Kind: crs.LocationSite, Code: "MAIN", Name: "Main Hospital"})
		wardA := addLocation(t, orgs, admin, &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WDA", Name: "Ward A"})
		bedA1 := addLocation(t, orgs, admin, &crs.Location{ParentID: wardA.ID, Kind: crs.LocationBed, Code: "A1", Name: "Ward A bed 1"})
		wardB := addLocation(t, orgs, admin, &crs.Location{ParentID: site.ID, Kind: crs.LocationWard, Code: "WDB", Name: "Ward B"})
		bedB1 := addLocation(t, orgs, admin, &crs.Location{ParentID: wardB.ID, Kind: crs.LocationBed, Code: "B1", Name: "Ward B bed 1"})
		bayB := addLocation(t, orgs, admin, &crs.Location{ParentID: wardB.ID, Kind: crs.LocationBay, Code: "BAY1", Name: "Ward B bay 1"})
		bedB2 := addLocation(t, orgs, admin, &crs.Location{ParentID: bayB.ID, Kind: crs.LocationBed, Code: "B2", Name: "Ward B bay 1 bed 2"})
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Ward","given":["Wyn"]}],"birthDate":"1950-06-07","gender":"female"}`)
		other := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Bed","given":["Bea"]}],"birthDate":"1951-06-07","gender":"female"}`)
		t0 := clock.Now().Add(-30 * time.Hour).Truncate(time.Second)
		t1, t2 := t0.Add(6*time.Hour), t0.Add(26*time.Hour)
		admission := func(patient string, edit func(m map[string]any)) string {
			return admissionBody(t, "Patient/"+patient, t0, []string{wardA.ID, bedA1.ID}, edit)
		}

		r := c.do("POST", "/fhir/Encounter", admission(pid, nil))
		if r.status != 201 || !strings.Contains(r.header.Get("Location"), "/Encounter/ip-") {
			t.Fatalf("POST an admission: %d %s", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		spellID := strings.TrimPrefix(id, "ip-")
		sp, err := ip.FindSpell(t.Context(), clerk, spellID)
		if err != nil {
			t.Fatal(err)
		}
		if sp.PatientID != pid || sp.AdmissionMethod != "21" || sp.AdmissionSource != "19" || sp.WardID != wardA.ID || sp.BedID != bedA1.ID ||
			sp.ConsultantCode != "C1234567" || sp.TreatmentFunction != "300" || !sp.AdmittedAt.Equal(t0) || sp.Status != crs.SpellAdmitted {
			t.Errorf("the PAS's spell: %+v", sp)
		}
		if got := c.do("GET", "/fhir/Encounter/"+id, ""); string(got.body) != string(r.body) {
			t.Errorf("the admission read: %s\nwant as created: %s", got.body, r.body)
		}

		before, _ := ip.FindSpells(t.Context(), clerk, other)
		for _, bad := range []struct {
			body   string
			status int
			says   string
		}{
			{admission(other, nil), 409, ""}, // bed A1 holds a patient
			{admission(other, func(m map[string]any) { delete(m, "location") }), 422, "Encounter.location"},
			{admission(other, func(m map[string]any) {
				m["location"] = []any{map[string]any{"location": map[string]any{"reference": "Location/" + site.ID}}}
			}), 422, "Encounter.location[0].location"},
			{admission(other, func(m map[string]any) {
				m["location"] = []any{map[string]any{"location": map[string]any{"reference": "Location/no-such-ward"}}}
			}), 422, "Encounter.location[0].location"},
			{admission(other, func(m map[string]any) {
				m["hospitalization"].(map[string]any)["extension"].([]any)[0].(map[string]any)["valueCodeableConcept"] = map[string]any{"coding": []any{map[string]any{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland", "code": "AB"}}}
			}), 422, "Encounter.hospitalization.extension"},
			{admission(other, func(m map[string]any) {
				m["period"] = map[string]any{"start": t0.Format(time.RFC3339), "end": t1.Format(time.RFC3339)}
			}), 422, "Encounter.period.end"},
			{admission(other, func(m map[string]any) { m["reasonCode"] = []any{map[string]any{"text": "chest pain"}} }), 422, "Encounter.reasonCode"},
			{admission(other, func(m map[string]any) { delete(m, "participant") }), 422, "Encounter.participant"},
			{admission(other, func(m map[string]any) { m["status"] = "planned" }), 422, "Encounter.status"},
		} {
			r := c.do("POST", "/fhir/Encounter", bad.body)
			if r.status != bad.status || !isOutcome(r) || !strings.Contains(string(r.body), bad.says) {
				t.Errorf("a bad admission: %d %.400s, want %d naming %q", r.status, r.body, bad.status, bad.says)
			}
		}
		tx := fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":%s,"request":{"method":"PUT","url":"Encounter/stored-admission"}}]}`,
			admission(other, func(m map[string]any) {
				m["id"] = "stored-admission"
				m["location"] = []any{map[string]any{"location": map[string]any{"reference": "Location/" + wardB.ID}}}
			}))
		if r := c.do("POST", "/fhir", tx); r.status != 422 || !strings.Contains(string(r.body), "Bundle.entry[0].resource.serviceProvider") {
			t.Errorf("an admission put into the resource store in a transaction: %d %.400s, want 422 naming its serviceProvider", r.status, r.body)
		}
		if after, _ := ip.FindSpells(t.Context(), clerk, other); len(after) != len(before) {
			t.Errorf("spells after the refusals: %d, want %d", len(after), len(before))
		}
		// An inpatient stay elsewhere is the resource store's.
		elsewhere := create(t, c, "Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},
			"subject":{"reference":"Patient/`+other+`"},"period":{"start":"2025-01-02T10:00:00Z","end":"2025-01-05T10:00:00Z"}}`)
		if strings.HasPrefix(elsewhere, "ip-") {
			t.Errorf("a stay elsewhere was admitted: %s", elsewhere)
		}

		// Moved to ward B, bed B1: a location entry added.
		put := func(change func(m map[string]any)) response {
			m := c.do("GET", "/fhir/Encounter/"+id, "").json(t)
			change(m)
			return c.do("PUT", "/fhir/Encounter/"+id, string(mustJSON(t, m)))
		}
		if r := put(func(m map[string]any) { m["serviceType"] = map[string]any{"text": "cardiology"} }); r.status != 422 || !strings.Contains(string(r.body), "Encounter.serviceType") {
			t.Errorf("the service changed: %d %.400s, want 422 naming it", r.status, r.body)
		}
		if r := put(func(m map[string]any) {
			m["location"].([]any)[1].(map[string]any)["location"] = map[string]any{"reference": "Location/" + bedB1.ID}
		}); r.status != 422 || !strings.Contains(string(r.body), "stay so far") {
			t.Errorf("the stay so far rewritten: %d %.400s, want 422", r.status, r.body)
		}
		r = put(func(m map[string]any) {
			m["location"] = append(m["location"].([]any),
				map[string]any{"location": map[string]any{"reference": "Location/" + wardB.ID}, "period": map[string]any{"start": t1.Format(time.RFC3339)}},
				map[string]any{"location": map[string]any{"reference": "Location/" + bedB1.ID}, "period": map[string]any{"start": t1.Format(time.RFC3339)}})
		})
		if r.status != 200 {
			t.Fatalf("PUT a move: %d %s", r.status, r.body)
		}
		if sp, _ := ip.FindSpell(t.Context(), clerk, spellID); sp.WardID != wardB.ID || sp.BedID != bedB1.ID || len(sp.Stays) != 2 || !sp.Stays[1].Start.Equal(t1) {
			t.Errorf("the spell after the move: ward %s bed %s stays %d, want ward B bed B1 from %s", sp.WardID, sp.BedID, len(sp.Stays), t1)
		}
		// To a bed in a bay of the ward, named alone: its ward is the bay's.
		r = put(func(m map[string]any) {
			m["location"] = append(m["location"].([]any), map[string]any{"location": map[string]any{"reference": "Location/" + bedB2.ID}, "period": map[string]any{"start": t1.Add(time.Hour).Format(time.RFC3339)}})
		})
		if sp, _ := ip.FindSpell(t.Context(), clerk, spellID); r.status != 200 || sp.WardID != wardB.ID || sp.BedID != bedB2.ID || len(sp.Stays) != 3 {
			t.Errorf("a move to a bed in a bay: %d %.300s; ward %s bed %s stays %d, want ward B, bed B2, 3 stays", r.status, r.body, sp.WardID, sp.BedID, len(sp.Stays))
		}
		// Bed B1 is free again: a third patient admitted to it, the bed
		// named alone, is on its ward; in a batch, as by itself.
		third := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Third","given":["Tom"]}],"birthDate":"1952-06-07","gender":"male"}`)
		r = c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST","url":"Encounter"},"resource":`+admission(third, func(m map[string]any) {
			m["location"] = []any{map[string]any{"location": map[string]any{"reference": "Location/" + bedB1.ID}}}
		})+`}]}`)
		entry, _ := array(r.json(t)["entry"])[0].(map[string]any)
		resp, _ := entry["response"].(map[string]any)
		res, _ := entry["resource"].(map[string]any)
		if r.status != 200 || resp["status"] != "201 Created" || res == nil {
			t.Fatalf("an admission in a batch to a bed named alone: %d %.400s", r.status, r.body)
		}
		if sp, _ := ip.FindSpell(t.Context(), clerk, strings.TrimPrefix(res["id"].(string), "ip-")); sp.WardID != wardB.ID || sp.BedID != bedB1.ID {
			t.Errorf("an admission to bed B1 named alone: ward %s bed %s, want ward B", sp.WardID, sp.BedID)
		}
		// Bed A1 is free again: the other patient is admitted to it.
		if r := c.do("POST", "/fhir/Encounter", admission(other, nil)); r.status != 201 {
			t.Errorf("an admission to the bed the move freed: %d %.300s", r.status, r.body)
		}

		// Discharged, by PATCH.
		discharge := func(ops string) response {
			return c.do("PATCH", "/fhir/Encounter/"+id, ops, "Content-Type", "application/json-patch+json")
		}
		if r := discharge(`[{"op":"replace","path":"/status","value":"finished"}]`); r.status != 422 || !strings.Contains(string(r.body), "Encounter.extension") {
			t.Errorf("finished without a method: %d %.400s, want 422", r.status, r.body)
		}
		if r := discharge(`[{"op":"add","path":"/period/end","value":"` + t2.Format(time.RFC3339) + `"}]`); r.status != 422 || !strings.Contains(string(r.body), "Encounter.status") {
			t.Errorf("an end without a discharge: %d %.400s, want 422", r.status, r.body)
		}
		r = discharge(`[{"op":"replace","path":"/status","value":"finished"},{"op":"add","path":"/period/end","value":"` + t2.Format(time.RFC3339) + `"},
			{"op":"add","path":"/extension","value":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland","code":"1"}]}}]},
			{"op":"add","path":"/hospitalization/dischargeDisposition","value":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland","code":"19"}]}}]`)
		if r.status != 200 || r.json(t)["status"] != "finished" {
			t.Fatalf("PATCH a discharge: %d %s", r.status, r.body)
		}
		if sp, _ := ip.FindSpell(t.Context(), clerk, spellID); sp.Status != crs.SpellDischarged || !sp.DischargedAt.Equal(t2) || sp.DischargeMethod != "1" || sp.DischargeDestination != "19" {
			t.Errorf("the discharged spell: %+v", sp)
		}
		if r := put(func(m map[string]any) {}); r.status != 200 {
			t.Errorf("PUT unchanged: %d %.300s", r.status, r.body)
		}
		if r := put(func(m map[string]any) { m["status"] = "in-progress" }); r.status != 422 || !strings.Contains(string(r.body), "Encounter.status") {
			t.Errorf("a discharged spell in progress again: %d %.300s, want 422", r.status, r.body)
		}
		if r := c.do("DELETE", "/fhir/Encounter/"+id, ""); r.status != 405 {
			t.Errorf("DELETE a spell: %d %.300s, want 405", r.status, r.body)
		}
	})
}

// admissionBody is an Encounter admitting subject to the trust at start,
// in the locations (ids) given, by the PAS's codes; edit changes it.
func admissionBody(t *testing.T, subject string, start time.Time, locations []string, edit func(m map[string]any)) string {
	t.Helper()
	var locs []any
	for _, id := range locations {
		locs = append(locs, map[string]any{"location": map[string]any{"reference": "Location/" + id}})
	}
	m := map[string]any{"resourceType": "Encounter", "status": "in-progress",
		"class":           map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
		"subject":         map[string]any{"reference": subject},
		"serviceProvider": map[string]any{"reference": "Organization/trust"},
		"period":          map[string]any{"start": start.Format(time.RFC3339)},
		"hospitalization": map[string]any{
			"extension": []any{map[string]any{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AdmissionMethod",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-AdmissionMethodEngland", "code": "21"}}}}},
			"admitSource": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.hl7.org.uk/CodeSystem/UKCore-SourceOfAdmissionEngland", "code": "19"}}}},
		"location":    locs,
		"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner/cons-C1234567"}}},
		"serviceType": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.nhs.uk/CodeSystem/NHSDataDictionary-TreatmentFunctionCode", "code": "300"}}},
	}
	if edit != nil {
		edit(m)
	}
	return string(mustJSON(t, m))
}
