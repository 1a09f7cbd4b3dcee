package fhir_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSpellCorrections: an inpatient spell's last move is undone by
// taking its location entry off the end, leave starts and ends by its
// status, a discharge is undone (status in-progress, its method,
// destination and end taken off) and an admission entered in error is
// cancelled (status entered-in-error), each by the PAS's command with
// the reason the correction extension gives; an undoing that is not one
// (two moves taken off, a cancellation without its reason) is refused
// naming the element, and changes nothing.
func TestSpellCorrections(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		h := startHeld(t, db, clock)
		c, bed1, bed2 := h.f.a, h.beds[0], h.beds[1]
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Corrected","given":["Cory"]}],"birthDate":"1949-06-07","gender":"male"}`)
		t0 := clock.Now().Add(-30 * time.Hour).Truncate(time.Second)
		id := create(t, c, "Encounter", admissionBody(t, "Patient/"+pid, t0, []string{bed1.ID}, nil))
		spell := func() *crs.Spell {
			t.Helper()
			sp, err := h.ip.FindSpell(t.Context(), h.clerk, strings.TrimPrefix(id, "ip-"))
			if err != nil {
				t.Fatal(err)
			}
			return sp
		}
		patch := func(ops string) response {
			return c.do("PATCH", "/fhir/Encounter/"+id, ops, "Content-Type", "application/json-patch+json")
		}
		const why = `{"url":"https://opencrs.org/fhir/StructureDefinition/correction-reason","valueString":"recorded against the wrong patient"}`

		if r := patch(`[{"op":"add","path":"/location/-","value":{"location":{"reference":"Location/` + bed2.ID + `"},"period":{"start":"` + t0.Add(time.Hour).Format(time.RFC3339) + `"}}}]`); r.status != 200 || spell().BedID != bed2.ID {
			t.Fatalf("a move: %d %.300s; bed %s", r.status, r.body, spell().BedID)
		}
		served := c.do("GET", "/fhir/Encounter/"+id, "").json(t)
		locs := served["location"].([]any)
		tooMany := map[string]any{}
		for k, v := range served {
			tooMany[k] = v
		}
		tooMany["location"] = locs[:len(locs)-2]
		if r := c.do("PUT", "/fhir/Encounter/"+id, string(mustJSON(t, tooMany))); r.status != 422 || !strings.Contains(string(r.body), "Encounter.location") || spell().BedID != bed2.ID {
			t.Errorf("two entries taken off for one move: %d %.300s, want 422 and the patient still in bed 2", r.status, r.body)
		}
		served["location"] = locs[:len(locs)-1]
		served["extension"] = []any{map[string]any{"url": "https://opencrs.org/fhir/StructureDefinition/correction-reason", "valueString": "moved by mistake"}}
		if r := c.do("PUT", "/fhir/Encounter/"+id, string(mustJSON(t, served))); r.status != 200 || spell().BedID != bed1.ID {
			t.Errorf("the move undone: %d %.300s; bed %s, want bed 1", r.status, r.body, spell().BedID)
		}

		if r := patch(`[{"op":"replace","path":"/status","value":"onleave"}]`); r.status != 200 || spell().Status != crs.SpellOnLeave || r.json(t)["status"] != "onleave" {
			t.Errorf("leave: %d %.300s; %s", r.status, r.body, spell().Status)
		}
		if r := patch(`[{"op":"replace","path":"/status","value":"in-progress"}]`); r.status != 200 || spell().Status != crs.SpellAdmitted {
			t.Errorf("back from leave: %d %.300s; %s", r.status, r.body, spell().Status)
		}

		end := t0.Add(26 * time.Hour).Format(time.RFC3339)
		if r := patch(`[{"op":"replace","path":"/status","value":"finished"},{"op":"add","path":"/period/end","value":"` + end + `"},
			{"op":"add","path":"/extension","value":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeMethodEngland","code":"1"}]}}]},
			{"op":"add","path":"/hospitalization/dischargeDisposition","value":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-DischargeDestinationEngland","code":"19"}]}}]`); r.status != 200 || spell().Status != crs.SpellDischarged {
			t.Fatalf("a discharge: %d %.300s", r.status, r.body)
		}
		if r := patch(`[{"op":"replace","path":"/status","value":"in-progress"}]`); r.status != 422 || !strings.Contains(string(r.body), "Encounter.status") || spell().Status != crs.SpellDischarged {
			t.Errorf("a discharge undone keeping its method: %d %.300s, want 422", r.status, r.body)
		}
		if r := patch(`[{"op":"replace","path":"/status","value":"in-progress"},{"op":"remove","path":"/period/end"},{"op":"remove","path":"/hospitalization/dischargeDisposition"},
			{"op":"replace","path":"/extension","value":[` + why + `]}]`); r.status != 200 || spell().Status != crs.SpellAdmitted || spell().BedID != bed1.ID {
			t.Errorf("the discharge undone: %d %.300s; %+v", r.status, r.body, spell())
		}

		if r := patch(`[{"op":"replace","path":"/status","value":"entered-in-error"}]`); r.status != 422 || !strings.Contains(string(r.body), "Encounter.extension") || spell().Status != crs.SpellAdmitted {
			t.Errorf("an admission cancelled without its reason: %d %.300s, want 422 naming Encounter.extension", r.status, r.body)
		}
		if r := patch(`[{"op":"replace","path":"/status","value":"entered-in-error"},{"op":"add","path":"/extension","value":[` + why + `]}]`); r.status != 200 || spell().Status != crs.SpellCancelled || r.json(t)["status"] != "entered-in-error" {
			t.Errorf("an admission entered in error: %d %.300s; %s", r.status, r.body, spell().Status)
		}
		// Each undoing's event keeps the reason sent.
		evs, err := db.SubjectEvents(t.Context(), h.f.trustA.Org.ID, strings.TrimPrefix(id, "ip-"))
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]int{}
		for _, ev := range evs {
			for _, r := range []string{"moved by mistake", "recorded against the wrong patient"} {
				if strings.Contains(string(ev.Data), r) {
					reasons[r]++
				}
			}
		}
		if reasons["moved by mistake"] != 1 || reasons["recorded against the wrong patient"] != 2 {
			t.Errorf("the undoings' events name their reasons: %v, want the move's once and the others' twice (the discharge undone, the admission cancelled)", reasons)
		}
	})
}
