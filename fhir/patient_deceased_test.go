package fhir_test

import (
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientSearchDeceased searches patients by deceased, R4's token
// whose value is true for a patient with a time of death (or
// deceasedBoolean true) and false for every other: alone (the trust
// scanned), narrowing a search by name the PMI leads, with :not and
// :missing, on the PMI and on Patients kept in the resource store.
func TestPatientSearchDeceased(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		{
			f, listed := journeyPatients(t, db, clock)
			c := f.a
			if len(listed) < 4 {
				t.Fatalf("the trust lists %d patients, want at least 4", len(listed))
			}
			// Two patients die.
			for _, p := range listed[1:3] {
				if r := c.do("PATCH", "/fhir/Patient/"+p.ID, `[{"op":"add","path":"/deceasedDateTime","value":"2025-06-01T10:00:00Z"}]`, "Content-Type", "application/json-patch+json"); r.status != 200 {
					t.Fatalf("recording %s's death: %d %s", p.ID, r.status, r.body)
				}
			}
			all, _ := pageAll(t, c, "Patient", 50)
			dead := func(r map[string]any) bool { _, ok := r["deceasedDateTime"]; return ok || r["deceasedBoolean"] == true }
			family := func(r map[string]any) string { return r["name"].([]any)[0].(map[string]any)["family"].(string) }
			deadFamily := family(all[1])
			for _, r := range all {
				if r["id"] == listed[1].ID {
					deadFamily = family(r)
				}
			}
			for _, tc := range []struct {
				query string
				keep  func(r map[string]any) bool
			}{
				{"deceased=true", dead},
				{"deceased=false", func(r map[string]any) bool { return !dead(r) }},
				{"deceased:not=true", func(r map[string]any) bool { return !dead(r) }},
				{"deceased:not=false", dead},
				{"deceased=true,false", func(map[string]any) bool { return true }},
				{"deceased:missing=false", func(map[string]any) bool { return true }},
				{"deceased:missing=true", func(map[string]any) bool { return false }},
				{"family=" + deadFamily + "&deceased=true", func(r map[string]any) bool { return family(r) == deadFamily && dead(r) }},
				{"family=" + deadFamily + "&deceased=false", func(r map[string]any) bool { return family(r) == deadFamily && !dead(r) }},
			} {
				t.Run(tc.query, func(t *testing.T) { searchKeeps(t, c, tc.query, all, tc.keep) })
			}
			if got, _ := pageAll(t, c, "Patient?deceased=true", 3); len(got) != 2 {
				t.Errorf("Patient?deceased=true found %d, want the 2 who died", len(got))
			}
			if r := c.do("GET", "/fhir/Patient?deceased=maybe", ""); r.status != 200 || strings.Contains(string(r.body), `"entry"`) {
				t.Errorf("Patient?deceased=maybe: %d %s, want none", r.status, r.body)
			}
			// The CapabilityStatement lists it.
			if r := c.do("GET", "/fhir/metadata", ""); !strings.Contains(string(r.body), `{"name":"deceased","definition":"http://hl7.org/fhir/SearchParameter/Patient-deceased","type":"token"}`) {
				t.Errorf("the CapabilityStatement does not list Patient's deceased")
			}
		}
	})
}

// TestPatientSearchDeceasedStored searches by deceased the Patients
// other systems keep in the resource store, where the PMI does not
// serve Patient: the indexer gives each its value.
func TestPatientSearchDeceasedStored(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		{
			f := start(t, db, clock, nil)
			c := f.a
			ids := map[string]string{}
			for name, body := range map[string]string{
				"died":    `{"resourceType":"Patient","name":[{"family":"Quill"}],"deceasedDateTime":"2024-02-03"}`,
				"dead":    `{"resourceType":"Patient","name":[{"family":"Quill"}],"deceasedBoolean":true}`,
				"alive":   `{"resourceType":"Patient","name":[{"family":"Quill"}],"deceasedBoolean":false}`,
				"unknown": `{"resourceType":"Patient","name":[{"family":"Quill"}]}`,
			} {
				r := c.do("POST", "/fhir/Patient", body)
				if r.status != 201 {
					t.Fatalf("%s: %d %s", name, r.status, r.body)
				}
				ids[name] = "Patient/" + r.json(t)["id"].(string)
			}
			for _, tc := range []struct {
				query string
				want  []string
			}{
				{"deceased=true", []string{"died", "dead"}},
				{"deceased=false", []string{"alive", "unknown"}},
				{"deceased:not=true", []string{"alive", "unknown"}},
				{"family=Quill&deceased=true", []string{"died", "dead"}},
				{"deceased:missing=true", nil},
				{"deceased:missing=false", []string{"died", "dead", "alive", "unknown"}},
			} {
				var want []string
				for _, n := range tc.want {
					want = append(want, ids[n])
				}
				got, _ := pageAll(t, c, "Patient?"+tc.query, 3)
				sameSet(t, tc.query, idsOf(t, tc.query, got), want)
			}
		}
	})
}
