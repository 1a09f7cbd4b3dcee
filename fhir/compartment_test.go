package fhir_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCompartmentSearch searches within a patient's compartment
// (GET and POST /fhir/Patient/[id]/[type]): the same matches as the
// type's search by that patient, narrowed by the search's parameters,
// for the resource store's types and the PAS's encounters alike; what
// it cannot answer is named.
func TestCompartmentSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f, listed := journeyPatients(t, db, clock)
		c := f.a
		// A patient with encounters, and another.
		var p, q string
		for _, e := range everything(t, c, "Encounter?") {
			ref := e["subject"].(map[string]any)["reference"].(string)
			if id := strings.TrimPrefix(ref, "Patient/"); p == "" {
				p = id
			} else if id != p && q == "" {
				q = id
			}
		}
		if p == "" || q == "" || len(listed) < 2 {
			t.Fatalf("the journey made encounters of fewer than two patients")
		}
		var mine []string
		for i, v := range []string{"60", "61", "62"} {
			mine = append(mine, create(t, c, "Observation", fmt.Sprintf(observation, p, fmt.Sprintf("2026-03-0%dT10:00:00Z", i+1), v)))
		}
		theirs := create(t, c, "Observation", fmt.Sprintf(observation, q, "2026-03-01T10:00:00Z", "61"))
		O := func(ids ...string) string { return sortedRefs("Observation", ids...) }
		for _, tc := range []struct{ path, want string }{
			{"Patient/" + p + "/Observation", O(mine...)},
			{"Patient/" + p + "/Observation?_count=1", O(mine...)},
			{"Patient/" + p + "/Observation?value-quantity=61", O(mine[1])},
			{"Patient/" + p + "/Observation?date=ge2026-03-02", O(mine[1], mine[2])},
			{"Patient/" + q + "/Observation", O(theirs)},
			{"Patient/" + q + "/Observation?patient=" + p, ""},
			{"Patient/no-such-patient/Observation", ""},
		} {
			if got := foundAll(t, c, "/fhir/"+tc.path); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.path, got, tc.want)
			}
		}
		// The PAS's encounters: those the type's search finds by the patient.
		for _, id := range []string{p, q} {
			got := foundAll(t, c, "/fhir/Patient/"+id+"/Encounter?_count=2")
			want := foundAll(t, c, "/fhir/Encounter?patient="+id)
			if got == "" || got != want {
				t.Errorf("Patient/%s/Encounter found %q, want %q", id, got, want)
			}
			if slices.Contains(strings.Split(got, ","), "") {
				t.Errorf("Patient/%s/Encounter: an empty id in %q", id, got)
			}
		}
		// The PAS's encounters in a consultant's compartment (R4: by
		// practitioner or participant) and in their own.
		var consultant, spell string
		for _, e := range everything(t, c, "Encounter?") {
			if ps, ok := e["participant"].([]any); ok && consultant == "" {
				consultant = ps[0].(map[string]any)["individual"].(map[string]any)["reference"].(string)
				spell = e["id"].(string)
			}
		}
		if consultant == "" {
			t.Fatalf("the journey made no encounter with a consultant")
		}
		got := foundAll(t, c, "/fhir/"+consultant+"/Encounter")
		if want := foundAll(t, c, "/fhir/Encounter?participant="+consultant); got != want || !strings.Contains(got, spell) {
			t.Errorf("%s/Encounter found %q, want %q with %s", consultant, got, want, spell)
		}
		if got := foundAll(t, c, "/fhir/Encounter/"+spell+"/Encounter"); got != "Encounter/"+spell {
			t.Errorf("Encounter/%s/Encounter found %q, want the encounter alone", spell, got)
		}
		// POST _search takes its parameters in the form body.
		r := c.do("POST", "/fhir/Patient/"+p+"/Observation/_search", url.Values{"value-quantity": {"62"}}.Encode(),
			"Content-Type", "application/x-www-form-urlencoded")
		if r.status != 200 || entryIDs(t, r) != "Observation/"+mine[2] {
			t.Errorf("POST Patient/%s/Observation/_search: %d %s, want Observation %s alone", p, r.status, r.body, mine[2])
		}
		// What it cannot answer.
		refused(t, c, "/fhir/Patient/"+p+"/Organization", "Organization is not in the Patient compartment")
		strictlyRefused(t, c, "/fhir/Patient/"+p+"/Observation?no-such-param=1", "no-such-param")
		for path, want := range map[string]string{
			"Patient/" + p + "/Foo":           "Foo is not an R4 resource type",
			"Observation/" + mine[0] + "/$ab": "the operation $ab is not supported on Observation/" + mine[0],
		} {
			r := c.do("GET", "/fhir/"+path, "")
			if r.status != 404 || !isOutcome(r) || !strings.Contains(string(r.body), want) {
				t.Errorf("GET %s: %d %.300s, want 404 saying %q", path, r.status, r.body, want)
			}
		}
	})
}
