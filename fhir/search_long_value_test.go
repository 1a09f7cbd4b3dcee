package fhir_test

import (
	"net/url"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestLongValuesIndexed: resources whose searchable values are longer
// than an index entry may be on PostgreSQL (a CodeableConcept's text of
// thousands of characters, a long code, a long name; letters that do not
// compress) are created on both engines and found by their whole value
// and by its start; two codes that differ only far into them find their
// resource once.
func TestLongValuesIndexed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		long := storetest.Incompressible
		text, code, name := "Ünïcode "+long(1, 7800), long(2, 5000), long(3, 3000)
		twin := code[:4000]
		cond := create(t, c, "Condition", `{"resourceType":"Condition","subject":{"display":"a patient"},"code":{"text":"`+text+`",
			"coding":[{"system":"http://example.org/codes","code":"`+code+`"},{"system":"http://example.org/codes","code":"`+twin+`x"},{"system":"http://example.org/codes","code":"`+twin+`y"}]}}`)
		org := create(t, c, "Organization", `{"resourceType":"Organization","name":"`+name+`"}`)
		for _, tc := range []struct{ query, want string }{
			{"Condition?code=" + url.QueryEscape("http://example.org/codes|"+code), "Condition/" + cond},
			{"Condition?code=" + url.QueryEscape("http://example.org/codes|"+twin+"x"), "Condition/" + cond},
			{"Condition?code:text=" + url.QueryEscape(text), "Condition/" + cond},
			{"Condition?code:text=" + url.QueryEscape(text[:40]), "Condition/" + cond},
			{"Organization?name=" + url.QueryEscape(name), "Organization/" + org},
			{"Organization?name:exact=" + url.QueryEscape(name), "Organization/" + org},
			{"Organization?name:contains=" + url.QueryEscape(name[100:200]), "Organization/" + org},
			{"Organization?name=" + url.QueryEscape(long(4, 3000)), ""},
		} {
			r := c.do("GET", "/fhir/"+tc.query, "")
			if r.status != 200 {
				t.Fatalf("%.80s: %d %.300s", tc.query, r.status, r.body)
			}
			if got := entryIDs(t, r); got != tc.want {
				t.Errorf("%.80s: %q, want %q", tc.query, got, tc.want)
			}
		}
	})
}
