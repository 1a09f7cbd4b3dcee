package fhir_test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSearchManyValues: a search naming a thousand values (an interface
// asking for its own list of patients' results), or a chain that finds a
// thousand resources, is answered with the matches, on both engines, by
// GET and by POST _search, not refused by the database as an expression
// too deep; one naming more is refused with an OperationOutcome that
// says how many it may name.
func TestSearchManyValues(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		p1 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Many"}]}`)
		p2 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Values"}]}`)
		o1 := create(t, c, "Observation", fmt.Sprintf(observation, p1, "2024-03-01T10:00:00Z", "72"))
		o2 := create(t, c, "Observation", fmt.Sprintf(observation, p2, "2024-03-02T10:00:00Z", "60"))
		many := func(format string, last string) string {
			vs := make([]string, 0, 1000)
			for i := range 999 {
				vs = append(vs, fmt.Sprintf(format, i))
			}
			return strings.Join(append(vs, last), ",")
		}
		sorted := func(ids []string) string { sort.Strings(ids); return strings.Join(ids, ",") }
		tests := []struct{ param, values, want string }{
			{"subject", many("Patient/none-%d", "Patient/"+p2), o2},
			{"subject", many("none-%d", p1), o1},
			{"code", many("http://loinc.org|%d-0", "http://loinc.org|8867-4"), sorted([]string{o1, o2})},
			{"value-quantity", many("gt1%d000", "lt61"), o2},
			{"subject", many("Patient/none-%d", "Patient/none"), ""},
		}
		for _, tc := range tests {
			q := url.Values{tc.param: {tc.values}}.Encode()
			if got := sorted(c.searchIDs(t, "/fhir/Observation?"+q)); got != tc.want {
				t.Errorf("GET %s with %d values = [%s], want [%s]", tc.param, strings.Count(tc.values, ",")+1, got, tc.want)
			}
			r := c.do("POST", "/fhir/Observation/_search", q, "Content-Type", "application/x-www-form-urlencoded")
			if r.status != 200 {
				t.Fatalf("POST _search %s: %d %s", tc.param, r.status, r.body)
			}
			var ids []string
			es, _ := r.json(t)["entry"].([]any)
			for _, e := range es {
				ids = append(ids, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			if got := sorted(ids); got != tc.want {
				t.Errorf("POST _search %s = [%s], want [%s]", tc.param, got, tc.want)
			}
		}
		for _, q := range []string{"subject=" + many("Patient/none-%d", "Patient/x,Patient/y"), "_id=" + many("x%d", "y") + "&code=8867-4"} {
			r := c.do("GET", "/fhir/Observation?"+q, "")
			if r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), "too-costly") || !strings.Contains(string(r.body), "more than 1000 values") {
				t.Errorf("a search naming 1,001 values: %d %.300s, want 400 too-costly", r.status, r.body)
			}
		}
		// A chain that finds a thousand patients.
		var entries []string
		for i := range 999 {
			entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Patient","name":[{"family":"Chained"}],"birthDate":"1950-01-01","id":"c%d"},"request":{"method":"POST","url":"Patient"}}`, i))
		}
		if r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[`+strings.Join(entries, ",")+`]}`); r.status != 200 {
			t.Fatalf("transaction of 999 patients: %d %s", r.status, r.body[:min(len(r.body), 500)])
		}
		create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Chained"}],"birthDate":"1950-01-01"}`)
		pc := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Chained"}],"birthDate":"1950-01-01"}`)
		oc := create(t, c, "Observation", fmt.Sprintf(observation, pc, "2024-03-03T10:00:00Z", "80"))
		if got := sorted(c.searchIDs(t, "/fhir/Observation?subject:Patient.family=chained")); got != oc {
			t.Errorf("a chain finding 1,000 patients = [%s], want [%s]", got, oc)
		}
	})
}

// TestSearchReferenceLists: a parameter naming several references,
// asked together as lists, matches as each would alone: typed and bare
// ids, a type modifier, a reference by absolute URL, the same value
// twice, a _revinclude of several resources.
func TestSearchReferenceLists(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		p1 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"One"}]}`)
		p2 := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Two"}]}`)
		loc := create(t, c, "Location", `{"resourceType":"Location","name":"Ward 1"}`)
		o1 := create(t, c, "Observation", fmt.Sprintf(observation, p1, "2024-03-01T10:00:00Z", "72"))
		o2 := create(t, c, "Observation", fmt.Sprintf(observation, p2, "2024-03-02T10:00:00Z", "60"))
		o3 := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"room temperature"},"subject":{"reference":"Location/`+loc+`"}}`)
		o4 := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"elsewhere"},"subject":{"reference":"http://other.example/fhir/Patient/9"}}`)
		sorted := func(ids ...string) string { sort.Strings(ids); return strings.Join(ids, ",") }
		tests := []struct{ q, want string }{
			{"subject=Patient/" + p1 + ",Patient/" + p2, sorted(o1, o2)},
			{"subject=" + p1 + ",Location/" + loc, sorted(o1, o3)},
			{"subject:Patient=" + p1 + "," + p2, sorted(o1, o2)},
			{"subject:Location=" + loc + "," + p2, o3},
			{"subject=Patient/" + p1 + ",Patient/" + p1, o1},
			{"subject=http://other.example/fhir/Patient/9,Patient/" + p2, sorted(o2, o4)},
			{"subject=Patient/none,Location/none", ""},
			{"patient=" + p1 + "," + p2 + "&code=8867-4", sorted(o1, o2)},
		}
		for _, tc := range tests {
			if got := sorted(c.searchIDs(t, "/fhir/Observation?"+tc.q)...); got != tc.want {
				t.Errorf("Observation?%s = [%s], want [%s]", tc.q, got, tc.want)
			}
		}
		got := sorted(c.searchIDs(t, "/fhir/Patient?_id="+p1+","+p2+"&_revinclude=Observation:subject")...)
		if want := sorted(p1, p2, o1, o2); got != want {
			t.Errorf("_revinclude of two patients = [%s], want [%s]", got, want)
		}
	})
}
