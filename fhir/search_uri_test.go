package fhir_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestURIAboveBelow: a uri parameter with :below finds the uri and those
// below it by path, with :above the uri and those above it, in the
// resource store and on the patients the PMI serves.
func TestURIAboveBelow(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		urls := map[string]string{}
		for _, u := range []string{"http://example.org/fhir/ValueSet/a", "http://example.org/fhir/ValueSet/b", "http://example.org/fhir", "http://example.org/fhirx/c", "http://other.org/fhir/ValueSet/a"} {
			urls[create(t, c, "ValueSet", `{"resourceType":"ValueSet","status":"active","url":"`+u+`"}`)] = u
		}
		found := func(q string) string {
			t.Helper()
			r := c.do("GET", "/fhir/ValueSet?"+q, "")
			if r.status != 200 {
				t.Fatalf("ValueSet?%s: %d %s", q, r.status, r.body)
			}
			var got []string
			es, _ := r.json(t)["entry"].([]any)
			for _, e := range es {
				got = append(got, urls[e.(map[string]any)["resource"].(map[string]any)["id"].(string)])
			}
			sort.Strings(got)
			return strings.Join(got, " ")
		}
		for _, tc := range []struct{ q, want string }{
			{"url:below=http://example.org/fhir", "http://example.org/fhir http://example.org/fhir/ValueSet/a http://example.org/fhir/ValueSet/b"},
			{"url:below=http://example.org/fhir/", "http://example.org/fhir http://example.org/fhir/ValueSet/a http://example.org/fhir/ValueSet/b"},
			{"url:below=http://example.org/fhir/ValueSet", "http://example.org/fhir/ValueSet/a http://example.org/fhir/ValueSet/b"},
			{"url:below=http://example.org/fhir/ValueSet/a,http://other.org", "http://example.org/fhir/ValueSet/a http://other.org/fhir/ValueSet/a"},
			{"url:above=http://example.org/fhir/ValueSet/a/1", "http://example.org/fhir http://example.org/fhir/ValueSet/a"},
			{"url:above=http://example.org/fhirx/c", "http://example.org/fhirx/c"},
			{"url=http://example.org/fhir", "http://example.org/fhir"},
		} {
			if got := found(tc.q); got != tc.want {
				t.Errorf("ValueSet?%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Below","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		for q, want := range map[string]int{
			"_profile:below=https://fhir.hl7.org.uk/StructureDefinition":                  1,
			"_profile:above=https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient/x": 1,
			"_profile:below=https://fhir.hl7.org.uk/Other":                                0,
		} {
			r := c.do("GET", "/fhir/Patient?_id="+pid+"&"+q, "")
			es, _ := r.json(t)["entry"].([]any)
			if r.status != 200 || len(es) != want {
				t.Errorf("Patient?%s: %d, %d found, want %d: %.300s", q, r.status, len(es), want, r.body)
			}
		}
	})
}
