package fhir_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestTokenSearchPages checks the search of one code of one system, read
// from the index in id order: paged with _count, every resource with
// the code is listed once (one that gives the coding twice too), in id
// order, and none without it; with another condition beside it, only
// those matching both.
func TestTokenSearchPages(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pat := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Token"}]}`)
		var want []string
		for i := 0; i < 7; i++ {
			body := fmt.Sprintf(observation, pat, "2026-03-01T10:00:00Z", fmt.Sprint(60+i))
			if i == 3 { // the coding given twice
				body = strings.Replace(body, `"coding":[`, `"coding":[{"system":"http://loinc.org","code":"8867-4"},`, 1)
			}
			want = append(want, create(t, c, "Observation", body))
		}
		twice := want[3]
		create(t, c, "Observation", strings.Replace(fmt.Sprintf(observation, pat, "2026-03-01T10:00:00Z", "99"), "8867-4", "9279-1", 1))
		rm := create(t, c, "Observation", fmt.Sprintf(observation, pat, "2026-03-01T10:00:00Z", "50"))
		if r := c.do("DELETE", "/fhir/Observation/"+rm, ""); r.status/100 != 2 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}

		var got []string
		next := "/fhir/Observation?code=http://loinc.org|8867-4&_count=2"
		for pages := 0; next != ""; pages++ {
			if pages > 10 {
				t.Fatalf("more than 10 pages of 2 for 7 matches")
			}
			m := c.do("GET", next, "").json(t)
			es, _ := m["entry"].([]any)
			if len(es) > 2 {
				t.Errorf("a page of _count=2 holds %d entries", len(es))
			}
			for _, e := range es {
				got = append(got, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			next = ""
			links, _ := m["link"].([]any)
			for _, l := range links {
				if l := l.(map[string]any); l["relation"] == "next" {
					next = l["url"].(string)
				}
			}
		}
		slices.Sort(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pages listed\n%v\nwant (id order)\n%v", got, want)
		}
		m := c.do("GET", "/fhir/Observation?code=http://loinc.org|8867-4&value-quantity=63&_count=20", "").json(t)
		if es, _ := m["entry"].([]any); len(es) != 1 || es[0].(map[string]any)["resource"].(map[string]any)["id"] != twice {
			t.Errorf("code and value found %v, want %s", es, twice)
		}
	})
}
