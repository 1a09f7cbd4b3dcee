package fhir_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestEncounterEverything: Encounter/$everything answers the encounter
// (a match, first), every resource that refers to it (its observations,
// conditions, documents, the encounters part of it) as matches, and
// what those and the encounter refer to (its patient, practitioner,
// location) as includes, each once; never another encounter's records.
// _type keeps the types listed, _count pages it with a next link that
// neither repeats nor skips, _since keeps what changed since; a
// parameter it does not take (a patient's start) is refused naming it;
// another trust's encounter is not found; the CapabilityStatement
// lists it.
func TestEncounterEverything(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pat := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Stay","given":["Ann"]}]}`)
		doc := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Ward","given":["Jo"]}]}`)
		ward := create(t, c, "Location", `{"resourceType":"Location","name":"Ward 7"}`)
		encounter := func(more string) string {
			return create(t, c, "Encounter", fmt.Sprintf(`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"IMP"},"subject":{"reference":"Patient/%s"}%s}`, pat, more))
		}
		enc := encounter(fmt.Sprintf(`,"participant":[{"individual":{"reference":"Practitioner/%s"}}],"location":[{"location":{"reference":"Location/%s"}}]`, doc, ward))
		other := encounter("")
		part := encounter(fmt.Sprintf(`,"partOf":{"reference":"Encounter/%s"}`, enc))
		obs := func(e string) string {
			return create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"Pulse"},"subject":{"reference":"Patient/%s"},"encounter":{"reference":"Encounter/%s"},"valueQuantity":{"value":72}}`, pat, e))
		}
		o1, o2 := obs(enc), obs(enc)
		obs(other)
		cond := create(t, c, "Condition", fmt.Sprintf(`{"resourceType":"Condition","subject":{"reference":"Patient/%s"},"encounter":{"reference":"Encounter/%s"},"code":{"text":"Pneumonia"}}`, pat, enc))
		letter := create(t, c, "DocumentReference", fmt.Sprintf(`{"resourceType":"DocumentReference","status":"current","subject":{"reference":"Patient/%s"},"context":{"encounter":[{"reference":"Encounter/%s"}]},"content":[{"attachment":{"contentType":"text/plain","data":"SGVsbG8="}}]}`, pat, enc))

		type entry struct{ ref, mode string }
		read := func(t *testing.T, path string) ([]entry, string) {
			t.Helper()
			r := c.do("GET", path, "")
			if r.status != 200 {
				t.Fatalf("GET %s: %d %s", path, r.status, r.body)
			}
			m := r.json(t)
			if m["type"] != "searchset" {
				t.Fatalf("GET %s: type %v", path, m["type"])
			}
			var out []entry
			for _, e := range asList(m["entry"]) {
				e := e.(map[string]any)
				res := e["resource"].(map[string]any)
				out = append(out, entry{fmt.Sprintf("%s/%s", res["resourceType"], res["id"]), e["search"].(map[string]any)["mode"].(string)})
			}
			next := ""
			for _, l := range asList(m["link"]) {
				if l := l.(map[string]any); l["relation"] == "next" {
					next = strings.TrimPrefix(l["url"].(string), f.base)
				}
			}
			return out, next
		}
		got, next := read(t, "/fhir/Encounter/"+enc+"/$everything")
		if next != "" || len(got) == 0 || got[0] != (entry{"Encounter/" + enc, "match"}) {
			t.Fatalf("first entry %v (next %q), want the encounter", got, next)
		}
		var matches, includes []string
		for _, e := range got {
			if e.mode == "match" {
				matches = append(matches, e.ref)
			} else {
				includes = append(includes, e.ref)
			}
		}
		slices.Sort(matches)
		slices.Sort(includes)
		wantMatches := []string{"Condition/" + cond, "DocumentReference/" + letter, "Encounter/" + enc, "Encounter/" + part, "Observation/" + o1, "Observation/" + o2}
		slices.Sort(wantMatches)
		wantIncludes := []string{"Location/" + ward, "Patient/" + pat, "Practitioner/" + doc}
		if !slices.Equal(matches, wantMatches) || !slices.Equal(includes, wantIncludes) {
			t.Errorf("matches %v\nwant %v\nincludes %v\nwant %v", matches, wantMatches, includes, wantIncludes)
		}

		// _type keeps the types listed.
		if got, _ := read(t, "/fhir/Encounter/"+enc+"/$everything?_type=Observation"); len(got) != 2 || got[0].ref[:12] != "Observation/" || got[1].ref[:12] != "Observation/" {
			t.Errorf("_type=Observation: %v", got)
		}
		// Paged by _count: every match once over the pages, a resource
		// added between pages never shifting one.
		var paged []string
		path := "/fhir/Encounter/" + enc + "/$everything?_count=2"
		for pages := 0; path != ""; pages++ {
			if pages > 10 {
				t.Fatalf("no end to the pages")
			}
			var page []entry
			page, path = read(t, path)
			for _, e := range page {
				if e.mode == "match" {
					paged = append(paged, e.ref)
				}
			}
			if pages == 0 {
				clock.Advance(time.Minute)
				late := obs(enc)
				wantMatches = append(wantMatches, "Observation/"+late)
			}
		}
		slices.Sort(paged)
		slices.Sort(wantMatches)
		if !slices.Equal(paged, wantMatches) {
			t.Errorf("paged %v\nwant %v", paged, wantMatches)
		}
		// _since keeps what changed since then.
		since := clock.Now().Add(-30 * time.Second).UTC().Format(time.RFC3339)
		got, _ = read(t, "/fhir/Encounter/"+enc+"/$everything?_type=Observation&_since="+since)
		if len(got) != 1 {
			t.Errorf("_since: %v, want the one observation written since", got)
		}

		if r := c.do("GET", "/fhir/Encounter/"+enc+"/$everything?start=2024-01-01", ""); r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), "start") {
			t.Errorf("start: %d %s, want 400 naming it", r.status, r.body)
		}
		if r := f.b.do("GET", "/fhir/Encounter/"+enc+"/$everything", ""); r.status != 404 {
			t.Errorf("another trust's encounter: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Encounter/no-such/$everything", ""); r.status != 404 || !isOutcome(r) {
			t.Errorf("no such encounter: %d %s", r.status, r.body)
		}
		meta := c.do("GET", "/fhir/metadata", "")
		if !strings.Contains(string(meta.body), "OperationDefinition/Encounter-everything") || !strings.Contains(string(meta.body), "OperationDefinition/Composition-document") {
			t.Errorf("the CapabilityStatement does not list Encounter/$everything and Composition/$document")
		}
	})
}

// asList is v as a JSON array, nil when it is none.
func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
