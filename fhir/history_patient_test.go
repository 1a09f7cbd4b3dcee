package fhir_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// historyAll follows a history's next links from path and returns its
// entries' versions as Type/id/_history/v, in order; it fails on one
// listed twice.
func historyAll(t *testing.T, c *client, path string) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for next, pages := path, 0; next != ""; pages++ {
		r := c.do("GET", next, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		b := r.json(t)
		if b["type"] != "history" {
			t.Fatalf("%s: a %v Bundle, want history", next, b["type"])
		}
		es, _ := b["entry"].([]any)
		for _, e := range es {
			e := e.(map[string]any)
			res, _ := e["resource"].(map[string]any)
			v := fmt.Sprintf("%s/%s/_history/%s", res["resourceType"], res["id"], res["meta"].(map[string]any)["versionId"])
			if seen[v] {
				t.Errorf("%s: %s listed twice", path, v)
			}
			seen[v] = true
			out = append(out, v)
		}
		next = ""
		for _, l := range b["link"].([]any) {
			if l.(map[string]any)["relation"] == "next" {
				next = l.(map[string]any)["url"].(string)
			}
		}
		if pages > 100 {
			t.Fatalf("%s: more than 100 pages", path)
		}
	}
	return out
}

// TestPatientTypeHistory reads the history of the PMI's patients
// (Patient/_history) and the trust's (_history), which lists their
// versions among the resource store's: every version the patients'
// instance histories list, newest first, page by page without repeats,
// from _since; none of another trust's, none for a token that may not
// read patients. The CapabilityStatement says which types have a
// type's and an instance's history.
func TestPatientTypeHistory(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		patient := func(nhs, family string) string {
			return `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}],"name":[{"family":"` + family + `","given":["Ann"]}],"birthDate":"1971-02-03","gender":"female"}`
		}
		var ids []string
		for i, nhs := range []string{"9990000093", "9990000107", "9990000115"} {
			clock.Advance(time.Minute)
			r := c.do("POST", "/fhir/Patient", patient(nhs, fmt.Sprint("Hist", i)))
			if r.status != 201 {
				t.Fatalf("register: %d %s", r.status, r.body)
			}
			ids = append(ids, r.json(t)["id"].(string))
		}
		clock.Advance(time.Hour)
		since := clock.Now().UTC().Format(time.RFC3339)
		clock.Advance(time.Minute)
		if r := c.do("PATCH", "/fhir/Patient/"+ids[0], `[{"op":"add","path":"/deceasedDateTime","value":"2026-01-01T10:00:00Z"}]`, "Content-Type", "application/json-patch+json"); r.status != 200 {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		clock.Advance(time.Minute)
		if r := c.do("POST", "/fhir/Observation", fmt.Sprintf(observation, ids[1], "2026-03-01T10:00:00Z", "72")); r.status != 201 {
			t.Fatalf("observation: %d %s", r.status, r.body)
		}
		if r := f.b.do("POST", "/fhir/Patient", patient("9990000123", "Other")); r.status != 201 {
			t.Fatalf("trust B registers: %d %s", r.status, r.body)
		}
		// Every version of each patient, as its own history lists them.
		var want []string
		for _, id := range ids {
			want = append(want, historyAll(t, c, "/fhir/Patient/"+id+"/_history")...)
		}
		if len(want) != 4 {
			t.Fatalf("the patients' own histories list %v, want 4 versions", want)
		}
		all := historyAll(t, c, "/fhir/Patient/_history")
		sameSet(t, "Patient/_history", all, want)
		for _, count := range []int{1, 2, 3} {
			if got := historyAll(t, c, fmt.Sprintf("/fhir/Patient/_history?_count=%d", count)); !slices.Equal(got, all) {
				t.Errorf("Patient/_history by %d: %v, want %v", count, got, all)
			}
		}
		if all[0] != "Patient/"+ids[0]+"/_history/2" {
			t.Errorf("Patient/_history starts %s, want the newest, Patient/%s/_history/2", all[0], ids[0])
		}
		if got := historyAll(t, c, "/fhir/Patient/_history?_since="+since); !slices.Equal(got, []string{"Patient/" + ids[0] + "/_history/2"}) {
			t.Errorf("Patient/_history?_since=%s: %v, want the change after it", since, got)
		}
		if got := historyAll(t, f.b, "/fhir/Patient/_history"); len(got) != 1 || strings.Contains(strings.Join(got, ","), ids[0]) {
			t.Errorf("trust B's Patient/_history: %v, want its own one patient", got)
		}
		// The trust's history: the patients' versions among the
		// observation's, newest first, page by page.
		sys := historyAll(t, c, "/fhir/_history")
		var patients []string
		for _, v := range sys {
			if strings.HasPrefix(v, "Patient/") {
				patients = append(patients, v)
			}
		}
		if !slices.Equal(patients, all) || len(sys) != len(all)+1 || !strings.HasPrefix(sys[0], "Observation/") {
			t.Errorf("_history: %v, want the observation first, then %v", sys, all)
		}
		if got := historyAll(t, c, "/fhir/_history?_count=2"); !slices.Equal(got, sys) {
			t.Errorf("_history by 2: %v, want %v", got, sys)
		}
		if got := historyAll(t, c, "/fhir/_history?_since="+since); len(got) != 2 {
			t.Errorf("_history?_since=%s: %v, want the change and the observation", since, got)
		}
		// A token that may read observations only lists no patient.
		obsOnly, _ := fhir.ParseScopes("system/Observation.read")
		f.server.Auth.(bearerAuth)["a-obs"] = &fhir.Principal{Actor: f.trustA.Actor(crs.RoleInterface), Scopes: obsOnly}
		if got := historyAll(t, &client{t, f.base, "a-obs"}, "/fhir/_history"); len(got) != 1 {
			t.Errorf("_history for a token of observations: %v, want the observation alone", got)
		}
		if r := (&client{t, f.base, "a-obs"}).do("GET", "/fhir/Patient/_history", ""); r.status != 403 {
			t.Errorf("Patient/_history for a token of observations: %d, want 403", r.status)
		}
		// The typed core's other types keep no versions: their type's
		// history is refused, and the CapabilityStatement says so.
		if r := c.do("GET", "/fhir/Encounter/_history", ""); r.status != 400 || !isOutcome(r) {
			t.Errorf("Encounter/_history: %d %s, want 400", r.status, r.body)
		}
		cs := c.do("GET", "/fhir/metadata", "").json(t)
		codes := map[string][]string{}
		for _, res := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			res := res.(map[string]any)
			for _, i := range res["interaction"].([]any) {
				codes[res["type"].(string)] = append(codes[res["type"].(string)], i.(map[string]any)["code"].(string))
			}
		}
		for typ, want := range map[string][2]bool{"Patient": {true, true}, "Observation": {true, true}, "Encounter": {true, false},
			"Location": {true, false}, "Organization": {true, false}, "Appointment": {true, false}, "EpisodeOfCare": {true, false}} {
			got := [2]bool{slices.Contains(codes[typ], "history-instance"), slices.Contains(codes[typ], "history-type")}
			if got != want {
				t.Errorf("%s: history-instance, history-type %v, want %v (%v)", typ, got, want, codes[typ])
			}
		}
	})
}
