package fhir_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestIncludeWildcards: _include=* follows every reference parameter of
// the type searched (Type:* of Type), _revinclude=* brings every
// resource referring to a match by any parameter (Type:* by Type's).
func TestIncludeWildcards(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Wild","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		prid := create(t, c, "Practitioner", `{"resourceType":"Practitioner","name":[{"family":"Card"}]}`)
		oid := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"pulse"},"subject":{"reference":"Patient/`+pid+`"},"performer":[{"reference":"Practitioner/`+prid+`"}]}`)
		cid := create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"asthma"},"subject":{"reference":"Patient/`+pid+`"}}`)
		found := func(q string) string {
			t.Helper()
			r := c.do("GET", "/fhir/"+q, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", q, r.status, r.body)
			}
			var got []string
			es, _ := r.json(t)["entry"].([]any)
			for _, e := range es {
				e := e.(map[string]any)
				res := e["resource"].(map[string]any)
				got = append(got, res["resourceType"].(string)+"/"+res["id"].(string)+":"+e["search"].(map[string]any)["mode"].(string))
			}
			sort.Strings(got)
			return strings.Join(got, " ")
		}
		obs, pat, prac, cond := "Observation/"+oid, "Patient/"+pid, "Practitioner/"+prid, "Condition/"+cid
		for _, tc := range []struct{ q, want []string }{
			{[]string{"Observation?_id=" + oid + "&_include=*", "Observation?_id=" + oid + "&_include=Observation:*"}, []string{obs + ":match", pat + ":include", prac + ":include"}},
			{[]string{"Patient?_id=" + pid + "&_revinclude=*"}, []string{cond + ":include", obs + ":include", pat + ":match"}},
			{[]string{"Patient?_id=" + pid + "&_revinclude=Condition:*"}, []string{cond + ":include", pat + ":match"}},
			{[]string{"Practitioner?_id=" + prid + "&_revinclude=*"}, []string{obs + ":include", prac + ":match"}},
		} {
			want := append([]string(nil), tc.want...)
			sort.Strings(want)
			for _, q := range tc.q {
				if got := found(q); got != strings.Join(want, " ") {
					t.Errorf("%s found %s, want %s", q, got, strings.Join(want, " "))
				}
			}
		}
		for _, q := range []string{"Observation?_include=Nonsense:*", "Observation?_include=Patient:*"} {
			if r := c.do("GET", "/fhir/"+q, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 400", q, r.status, r.body)
			}
		}
	})
}
