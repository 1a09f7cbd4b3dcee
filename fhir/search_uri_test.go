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

// TestURICanonicalVersion: a uri parameter of a definition's own
// canonical url takes a version after it (R4 search.html#versions):
// url|1.1.0 finds that version of it, url:below=url|1 the versions 1
// and 1.x of it; the url alone finds every version.
func TestURICanonicalVersion(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		const bay, ward = "https://trust.example.nhs.uk/fhir/StructureDefinition/bay", "https://trust.example.nhs.uk/fhir/StructureDefinition/ward"
		found := map[string]string{}
		define := func(typ, url, version string) {
			body := `{"resourceType":"StructureDefinition","url":"` + url + `","version":"` + version + `","name":"Bay","status":"active","kind":"complex-type","abstract":false,"type":"Extension"}`
			if typ == "ValueSet" {
				body = `{"resourceType":"ValueSet","url":"` + url + `","version":"` + version + `","status":"active"}`
			}
			found[create(t, c, typ, body)] = url + "|" + version
		}
		for _, v := range []string{"1", "1.0.0", "1.1.0", "2.0.0", "10.0.0"} {
			define("StructureDefinition", bay, v)
		}
		define("StructureDefinition", ward, "1.1.0")
		define("StructureDefinition", bay+"/x", "1.1.0")
		define("ValueSet", "https://trust.example.nhs.uk/fhir/ValueSet/bays", "1.1.0")
		define("ValueSet", "https://trust.example.nhs.uk/fhir/ValueSet/bays", "2.0.0")
		search := func(q string) string {
			t.Helper()
			var got []string
			for _, id := range c.searchIDs(t, "/fhir/"+q) {
				got = append(got, found[id])
			}
			sort.Strings(got)
			return strings.Join(got, " ")
		}
		for _, tc := range []struct{ q, want string }{
			{"StructureDefinition?url=" + bay + "|1.1.0", bay + "|1.1.0"},
			{"StructureDefinition?url=" + bay + "|1.1", ""},
			{"StructureDefinition?url:below=" + bay + "|1", bay + "|1 " + bay + "|1.0.0 " + bay + "|1.1.0"},
			{"StructureDefinition?url:below=" + bay + "|1.1", bay + "|1.1.0"},
			{"StructureDefinition?url:below=" + bay + "|3", ""},
			{"StructureDefinition?url=" + bay + "|2.0.0," + ward + "|1.1.0", bay + "|2.0.0 " + ward + "|1.1.0"},
			{"StructureDefinition?url=" + bay + "|2.0.0," + ward, bay + "|2.0.0 " + ward + "|1.1.0"},
			{"StructureDefinition?url=" + bay, bay + "|1 " + bay + "|1.0.0 " + bay + "|1.1.0 " + bay + "|10.0.0 " + bay + "|2.0.0"},
			{"StructureDefinition?url=" + bay + "&version=1.1.0", bay + "|1.1.0"},
			{"ValueSet?url=https://trust.example.nhs.uk/fhir/ValueSet/bays|2.0.0", "https://trust.example.nhs.uk/fhir/ValueSet/bays|2.0.0"},
		} {
			if got := search(tc.q); got != tc.want {
				t.Errorf("%s found %q, want %q", tc.q, got, tc.want)
			}
		}
		// Sorted by url, the versions are not urls: bay/x comes after
		// bay, before it when descending.
		r := c.do("GET", "/fhir/StructureDefinition?url:below="+bay+"&_sort=-url&_count=1", "")
		if es, _ := r.json(t)["entry"].([]any); r.status != 200 || len(es) != 1 || found[es[0].(map[string]any)["resource"].(map[string]any)["id"].(string)] != bay+"/x|1.1.0" {
			t.Errorf("sorted by url, descending: %d %.500s, want %s/x first", r.status, r.body, bay)
		}
	})
}
