package fhir_test

import (
	"fmt"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// nextLink is the url of a Bundle's next link, "" when it has none.
func nextLink(m map[string]any) string {
	links, _ := m["link"].([]any)
	for _, l := range links {
		if l := l.(map[string]any); l["relation"] == "next" {
			return l["url"].(string)
		}
	}
	return ""
}

// TestSearchCountZero: _count=0 asks for the number of matches and no
// resources, from the resource store and from the typed core alike, with
// no next link to follow.
func TestSearchCountZero(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Smith","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		for _, v := range []string{"70", "72"} {
			create(t, c, "Observation", fmt.Sprintf(observation, pid, "2026-03-02T08:30:00Z", v))
		}
		for _, tc := range []struct{ path, total string }{
			{"/fhir/Observation?_count=0", "2"},
			{"/fhir/Observation?subject=Patient/" + pid + "&_count=0&_include=Observation:subject", "2"},
			{"/fhir/Patient?family=smith&_count=0", "1"},
		} {
			t.Run(tc.path, func(t *testing.T) {
				r := c.do("GET", tc.path, "")
				if r.status != 200 {
					t.Fatalf("status %d: %s, want 200", r.status, r.body)
				}
				m := r.json(t)
				if fmt.Sprint(m["total"]) != tc.total || m["entry"] != nil || nextLink(m) != "" {
					t.Errorf("got total %v, entries %v, next %q; want total %s, no entries, no next link", m["total"], m["entry"], nextLink(m), tc.total)
				}
			})
		}
	})
}
