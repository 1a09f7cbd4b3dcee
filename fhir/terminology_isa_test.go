package fhir_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestSNOMEDHierarchy answers, from the is-a relationships of the trust's
// SNOMED CT release (the sample's): value sets that include the concepts
// below one (filter is-a, descendent-of) expanded and validated against,
// CodeSystem/$subsumes, and token searches with :below and :above and
// :in such a value set.
func TestSNOMEDHierarchy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		const sct = "http://snomed.info/sct"
		for _, vs := range []struct{ url, op string }{{"http://example.org/fhir/ValueSet/diabetes", "is-a"}, {"http://example.org/fhir/ValueSet/diabetes-kinds", "descendent-of"}} {
			if r := c.do("POST", "/fhir/ValueSet", `{"resourceType":"ValueSet","url":"`+vs.url+`","status":"active",
				"compose":{"include":[{"system":"`+sct+`","filter":[{"property":"concept","op":"`+vs.op+`","value":"73211009"}]}]}}`); r.status != 201 {
				t.Fatalf("create %s: %d %s", vs.url, r.status, r.body)
			}
		}
		expand := func(vsURL, filter string) []string {
			r := c.do("GET", "/fhir/ValueSet/$expand?url="+url.QueryEscape(vsURL)+"&filter="+url.QueryEscape(filter), "")
			if r.status != 200 {
				t.Fatalf("expand %s: %d %s", vsURL, r.status, r.body)
			}
			got, _, _ := expandedCodes(t, r.json(t))
			slices.Sort(got)
			return got
		}
		want := []string{sct + "|44054006|Type 2 diabetes mellitus", sct + "|46635009|Type 1 diabetes mellitus", sct + "|73211009|Diabetes mellitus"}
		if diff := cmp.Diff(want, expand("http://example.org/fhir/ValueSet/diabetes", "")); diff != "" {
			t.Errorf("is-a diabetes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want[:2], expand("http://example.org/fhir/ValueSet/diabetes-kinds", "")); diff != "" {
			t.Errorf("descendent-of diabetes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want[:1], expand("http://example.org/fhir/ValueSet/diabetes", "type 2")); diff != "" {
			t.Errorf("is-a diabetes, filtered (-want +got):\n%s", diff)
		}

		validate := func(vsURL, code string) bool { return inValueSet(t, c, vsURL, code) }
		for _, tc := range []struct {
			vs, code string
			want     bool
		}{
			{"http://example.org/fhir/ValueSet/diabetes", "44054006", true},
			{"http://example.org/fhir/ValueSet/diabetes", "73211009", true},
			{"http://example.org/fhir/ValueSet/diabetes", "195967001", false},
			{"http://example.org/fhir/ValueSet/diabetes-kinds", "73211009", false},
			{"http://example.org/fhir/ValueSet/diabetes-kinds", "46635009", true},
		} {
			if got := validate(tc.vs, tc.code); got != tc.want {
				t.Errorf("%s in %s: %v, want %v", tc.code, tc.vs, got, tc.want)
			}
		}

		if r := c.do("POST", "/fhir/CodeSystem", `{"resourceType":"CodeSystem","url":"http://example.org/fhir/CodeSystem/sites","status":"active","content":"complete",
			"concept":[{"code":"H","display":"Hospital","concept":[{"code":"W","display":"Ward","concept":[{"code":"B","display":"Bay"}]}]},{"code":"C","display":"Clinic"}]}`); r.status != 201 {
			t.Fatalf("create the code system: %d %s", r.status, r.body)
		}
		sites := url.QueryEscape("http://example.org/fhir/CodeSystem/sites")
		for _, tc := range []struct {
			name, method, path, body string
			status                   int
			want                     string
		}{
			{"a stored code system's nesting", "GET", "/fhir/CodeSystem/$subsumes?system=" + sites + "&codeA=H&codeB=B", "", 200, `"valueCode":"subsumes"`},
			{"nested, the other way", "GET", "/fhir/CodeSystem/$subsumes?system=" + sites + "&codeA=B&codeB=W", "", 200, `"valueCode":"subsumed-by"`},
			{"not nested", "GET", "/fhir/CodeSystem/$subsumes?system=" + sites + "&codeA=C&codeB=B", "", 200, `"valueCode":"not-subsumed"`},
			{"two systems", "POST", "/fhir/CodeSystem/$subsumes", `{"resourceType":"Parameters","parameter":[
				{"name":"codingA","valueCoding":{"system":"http://example.org/fhir/CodeSystem/sites","code":"H"}},{"name":"codingB","valueCoding":{"system":"` + sct + `","code":"372687004"}}]}`, 400, "two systems"},
			{"R4's, held without its hierarchy", "GET", "/fhir/CodeSystem/$subsumes?system=http://hl7.org/fhir/administrative-gender&codeA=male&codeB=female", "", 400, "has no hierarchy"},
			{"subsumes", "GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(sct) + "&codeA=73211009&codeB=44054006", "", 200, `"valueCode":"subsumes"`},
			{"subsumed by", "GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(sct) + "&codeA=44054006&codeB=404684003", "", 200, `"valueCode":"subsumed-by"`},
			{"equivalent", "GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(sct) + "&codeA=44054006&codeB=44054006", "", 200, `"valueCode":"equivalent"`},
			{"not subsumed", "GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(sct) + "&codeA=195967001&codeB=44054006", "", 200, `"valueCode":"not-subsumed"`},
			{"codings", "POST", "/fhir/CodeSystem/$subsumes", `{"resourceType":"Parameters","parameter":[
				{"name":"codingA","valueCoding":{"system":"` + sct + `","code":"105590001"}},{"name":"codingB","valueCoding":{"system":"` + sct + `","code":"372687004"}}]}`, 200, `"valueCode":"subsumes"`},
			{"a code not in the release", "GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(sct) + "&codeA=73211009&codeB=10509002", "", 404, `"expression":["codeB"]`},
			{"another system", "GET", "/fhir/CodeSystem/$subsumes?system=http://loinc.org&codeA=1&codeB=2", "", 400, "has no hierarchy"},
			{"one code", "GET", "/fhir/CodeSystem/$subsumes?system=" + url.QueryEscape(sct) + "&codeA=73211009", "", 400, `"expression":["codeB"]`},
		} {
			r := c.do(tc.method, tc.path, tc.body)
			if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("%s: %d %s, want %d with %s", tc.name, r.status, r.body, tc.status, tc.want)
			}
		}

		search := snomedConditions(t, c, "44054006", "46635009", "73211009", "195967001")
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"code:below=" + url.QueryEscape(sct+"|73211009"), []string{"44054006", "46635009", "73211009"}},
			{"code:below=" + url.QueryEscape(sct+"|404684003"), []string{"195967001", "44054006", "46635009", "73211009"}},
			{"code:below=" + url.QueryEscape(sct+"|46635009,"+sct+"|195967001"), []string{"195967001", "46635009"}},
			{"code:above=" + url.QueryEscape(sct+"|44054006"), []string{"44054006", "73211009"}},
			{"code:in=" + url.QueryEscape("http://example.org/fhir/ValueSet/diabetes-kinds"), []string{"44054006", "46635009"}},
			{"code:not-in=" + url.QueryEscape("http://example.org/fhir/ValueSet/diabetes"), []string{"195967001"}},
			{"code:below=" + url.QueryEscape(sct+"|105590001"), nil},
		} {
			if diff := cmp.Diff(tc.want, search(tc.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		}
		for _, q := range []string{"code:below=" + url.QueryEscape(sct+"|8867-4"), "code:above=73211009"} {
			if r := c.do("GET", "/fhir/Condition?"+q, ""); r.status != 400 || !strings.Contains(string(r.body), "takes a SNOMED CT concept") {
				t.Errorf("%s: %d %s, want 400 naming what it takes", q, r.status, r.body)
			}
		}
		// UK Core's value sets of SNOMED CT concepts by the hierarchy, as
		// their expression constraints say (descendantOf 404684003 |Clinical
		// finding| ...): a type 2 diabetes is a condition, a substance is not.
		ukConditions := "https://fhir.hl7.org.uk/ValueSet/UKCore-ConditionCode"
		for code, want := range map[string]bool{"44054006": true, "404684003": false, "105590001": false} {
			if got := validate(ukConditions, code); got != want {
				t.Errorf("%s in %s: %v, want %v", code, ukConditions, got, want)
			}
		}
		if got := expand(ukConditions, "diabetes"); len(got) != 3 {
			t.Errorf("UK Core's conditions, filtered by diabetes: %v, want the three diabetes concepts", got)
		}
		// A trust's value set by an expression constraint as UK Core's
		// write them is expanded, with MINUS too; one with a refinement is
		// refused, saying which filter, and UK Core's of a reference set
		// the release lacks saying so.
		for _, ecl := range []struct{ url, value string }{{"http://example.org/fhir/ValueSet/ecl", "<< 73211009"},
			{"http://example.org/fhir/ValueSet/ecl-minus", "<< 73211009 MINUS 44054006"}, {"http://example.org/fhir/ValueSet/ecl-refined", "<< 73211009 : 363698007 = 39057004"}} {
			if r := c.do("POST", "/fhir/ValueSet", `{"resourceType":"ValueSet","url":"`+ecl.url+`","status":"active",
				"compose":{"include":[{"system":"`+sct+`","filter":[{"property":"constraint","op":"=","value":"`+ecl.value+`"}]}]}}`); r.status != 201 {
				t.Fatalf("create %s: %d %s", ecl.url, r.status, r.body)
			}
		}
		if diff := cmp.Diff(want, expand("http://example.org/fhir/ValueSet/ecl", "")); diff != "" {
			t.Errorf("<< diabetes (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{want[1], want[2]}, expand("http://example.org/fhir/ValueSet/ecl-minus", "")); diff != "" {
			t.Errorf("<< diabetes MINUS type 2 (-want +got):\n%s", diff)
		}
		for vs, say := range map[string]string{"http://example.org/fhir/ValueSet/ecl-refined": "the filter constraint =",
			"https://fhir.hl7.org.uk/ValueSet/UKCore-PathologyAndLaboratoryMedicineObservables": "has no reference set 1853551000000106"} {
			if r := c.do("GET", "/fhir/ValueSet/$expand?url="+url.QueryEscape(vs), ""); r.status != 422 || !strings.Contains(string(r.body), say) {
				t.Errorf("%s: %d %s, want 422 saying %q", vs, r.status, r.body, say)
			}
		}
	})
}

// TestSNOMEDSearchUnknownConcept: :below and :above a concept the
// trust's release lacks find what is coded with it alone, none here (a
// searchset of none, not an error: R4 asks an empty result of a code
// not known); SNOMED CT's value set of the concepts below one
// (?fhir_vs=isa/C) holds C itself, found by :in and kept out by
// :not-in.
func TestSNOMEDSearchUnknownConcept(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		const sct = "http://snomed.info/sct"
		search := snomedConditions(t, c, "44054006", "46635009", "73211009", "195967001")
		r := c.do("GET", "/fhir/Condition?code:below="+url.QueryEscape(sct+"|235862008"), "")
		if r.status != 200 || !strings.Contains(string(r.body), `"type":"searchset"`) || !strings.Contains(string(r.body), `"total":0`) {
			t.Errorf("below a concept not in the release: %d %s, want 200 and a searchset of none", r.status, r.body)
		}
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"code:below=" + url.QueryEscape(sct+"|235862008"), nil},
			{"code:above=" + url.QueryEscape(sct+"|235862008"), nil},
			{"code:below=" + url.QueryEscape(sct+"|413350009"), nil},
			{"code:below=" + url.QueryEscape(sct+"|235862008,"+sct+"|46635009"), []string{"46635009"}},
			{"code:in=" + url.QueryEscape(sct+"?fhir_vs=isa/73211009"), []string{"44054006", "46635009", "73211009"}},
			{"code:not-in=" + url.QueryEscape(sct+"?fhir_vs=isa/73211009"), []string{"195967001"}},
			{"code:in=" + url.QueryEscape(sct+"?fhir_vs=isa/235862008"), nil},
			{"code:not-in=" + url.QueryEscape(sct+"?fhir_vs=isa/235862008"), []string{"195967001", "44054006", "46635009", "73211009"}},
		} {
			if diff := cmp.Diff(tc.want, search(tc.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		}
	})
}
