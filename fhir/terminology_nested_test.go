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

const (
	sitesSystem  = "http://example.org/fhir/CodeSystem/sites"
	gradesSystem = "http://example.org/fhir/CodeSystem/grades"
)

// storeSites stores two CodeSystems with hierarchies: sites by nesting
// (hospital, ward in it, bay in the ward; clinic), grades by the
// properties parent and child (A, with A1 naming A its parent and A
// naming A2 its child).
func storeSites(t *testing.T, c *client) {
	t.Helper()
	for _, body := range []string{
		`{"resourceType":"CodeSystem","url":"` + sitesSystem + `","status":"active","content":"complete",
			"concept":[{"code":"H","display":"Hospital","concept":[{"code":"W","display":"Ward","concept":[{"code":"B","display":"Bay"}]}]},{"code":"C","display":"Clinic"}]}`,
		`{"resourceType":"CodeSystem","url":"` + gradesSystem + `","status":"active","content":"complete",
			"property":[{"code":"parent","type":"code"},{"code":"child","type":"code"}],
			"concept":[{"code":"A","display":"Grade A","property":[{"code":"child","valueCode":"A2"}]},
				{"code":"A1","display":"Grade A one","property":[{"code":"parent","valueCode":"A"}]},
				{"code":"A2","display":"Grade A two"},{"code":"Z","display":"Grade Z"}]}`,
	} {
		if r := c.do("POST", "/fhir/CodeSystem", body); r.status != 201 {
			t.Fatalf("create a code system: %d %s", r.status, r.body)
		}
	}
}

// postValueSet stores a value set of compose at url.
func postValueSet(t *testing.T, c *client, vsURL, compose string) {
	t.Helper()
	if r := c.do("POST", "/fhir/ValueSet", `{"resourceType":"ValueSet","url":"`+vsURL+`","status":"active","compose":`+compose+`}`); r.status != 201 {
		t.Fatalf("create %s: %d %s", vsURL, r.status, r.body)
	}
}

// expandCodes expands the value set at url, with filter, and answers its
// codes as system|code|display, sorted.
func expandCodes(t *testing.T, c *client, vsURL, filter string) []string {
	t.Helper()
	r := c.do("GET", "/fhir/ValueSet/$expand?url="+url.QueryEscape(vsURL)+"&filter="+url.QueryEscape(filter), "")
	if r.status != 200 {
		t.Fatalf("expand %s: %d %s", vsURL, r.status, r.body)
	}
	exp, _ := r.json(t)["expansion"].(map[string]any)
	if exp["contains"] == nil {
		return nil
	}
	got, _, _ := expandedCodes(t, r.json(t))
	slices.Sort(got)
	return got
}

// validCode says whether $validate-code finds system|code in the value
// set at url.
func validCode(t *testing.T, c *client, vsURL, system, code string) bool {
	t.Helper()
	r := c.do("GET", "/fhir/ValueSet/$validate-code?url="+url.QueryEscape(vsURL)+"&system="+url.QueryEscape(system)+"&code="+code, "")
	if r.status != 200 {
		t.Fatalf("validate %s in %s: %d %s", code, vsURL, r.status, r.body)
	}
	return strings.Contains(string(r.body), `"valueBoolean":true`)
}

// codedConditions records a Condition coded with each system|code, and
// returns a search of Conditions answering the codes of those it finds,
// sorted.
func codedConditions(t *testing.T, c *client, codings ...string) func(query string) []string {
	t.Helper()
	ids := map[string]string{}
	for _, coding := range codings {
		system, code, _ := strings.Cut(coding, "|")
		r := c.do("POST", "/fhir/Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"`+system+`","code":"`+code+`"}]}}`)
		if r.status != 201 {
			t.Fatalf("create a Condition of %s: %d %s", coding, r.status, r.body)
		}
		ids[r.json(t)["id"].(string)] = code
	}
	return func(q string) []string {
		var found []string
		for _, id := range c.searchIDs(t, "/fhir/Condition?"+q) {
			found = append(found, ids[id])
		}
		slices.Sort(found)
		return found
	}
}

// TestStoredCodeSystemHierarchy reads the hierarchy of a CodeSystem the
// trust stores, by its nesting or its properties parent and child: value
// sets that include its codes by the filters concept is-a,
// descendent-of, is-not-a and generalizes are expanded, validated
// against and searched with :in and :not-in, and token searches :below
// and :above a code of it match; what it cannot do is refused, saying
// why.
func TestStoredCodeSystemHierarchy(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		storeSites(t, c)
		filter := func(system, op, value string) string {
			return `{"include":[{"system":"` + system + `","filter":[{"property":"concept","op":"` + op + `","value":"` + value + `"}]}]}`
		}
		const vs = "http://example.org/fhir/ValueSet/"
		postValueSet(t, c, vs+"in-hospital", filter(sitesSystem, "is-a", "H"))
		postValueSet(t, c, vs+"within-hospital", filter(sitesSystem, "descendent-of", "H"))
		postValueSet(t, c, vs+"not-ward", filter(sitesSystem, "is-not-a", "W"))
		postValueSet(t, c, vs+"around-bay", filter(sitesSystem, "generalizes", "B"))
		postValueSet(t, c, vs+"grade-a", filter(gradesSystem, "is-a", "A"))
		postValueSet(t, c, vs+"hospital-not-bay", `{"include":[{"system":"`+sitesSystem+`","filter":[
			{"property":"concept","op":"is-a","value":"H"},{"property":"concept","op":"is-not-a","value":"B"}]}]}`)
		postValueSet(t, c, vs+"no-code", filter(sitesSystem, "is-a", "X"))
		postValueSet(t, c, vs+"regex", `{"include":[{"system":"`+sitesSystem+`","filter":[{"property":"concept","op":"regex","value":"H.*"}]}]}`)
		postValueSet(t, c, vs+"loinc", filter("http://loinc.org", "is-a", "8867-4"))

		h, w, b, cl := sitesSystem+"|H|Hospital", sitesSystem+"|W|Ward", sitesSystem+"|B|Bay", sitesSystem+"|C|Clinic"
		for _, tc := range []struct {
			vs, filter string
			want       []string
		}{
			{"in-hospital", "", []string{b, h, w}},
			{"in-hospital", "ward", []string{w}},
			{"within-hospital", "", []string{b, w}},
			{"not-ward", "", []string{cl, h}},
			{"around-bay", "", []string{b, h, w}},
			{"hospital-not-bay", "", []string{h, w}},
			{"grade-a", "", []string{gradesSystem + "|A1|Grade A one", gradesSystem + "|A2|Grade A two", gradesSystem + "|A|Grade A"}},
		} {
			if diff := cmp.Diff(tc.want, expandCodes(t, c, vs+tc.vs, tc.filter)); diff != "" {
				t.Errorf("expand %s filtered by %q (-want +got):\n%s", tc.vs, tc.filter, diff)
			}
		}
		for _, tc := range []struct {
			vs, system, code string
			want             bool
		}{
			{"in-hospital", sitesSystem, "B", true},
			{"in-hospital", sitesSystem, "C", false},
			{"within-hospital", sitesSystem, "H", false},
			{"not-ward", sitesSystem, "C", true},
			{"not-ward", sitesSystem, "B", false},
			{"around-bay", sitesSystem, "W", true},
			{"grade-a", gradesSystem, "A2", true},
			{"grade-a", gradesSystem, "Z", false},
		} {
			if got := validCode(t, c, vs+tc.vs, tc.system, tc.code); got != tc.want {
				t.Errorf("%s in %s: %v, want %v", tc.code, tc.vs, got, tc.want)
			}
		}
		for name, say := range map[string]string{"no-code": `has no code \"X\"`, "regex": "the filter concept regex", "loinc": "has no hierarchy"} {
			if r := c.do("GET", "/fhir/ValueSet/$expand?url="+url.QueryEscape(vs+name), ""); r.status != 422 || !strings.Contains(string(r.body), say) {
				t.Errorf("expand %s: %d %s, want 422 saying %q", name, r.status, r.body, say)
			}
		}

		search := codedConditions(t, c, sitesSystem+"|H", sitesSystem+"|W", sitesSystem+"|B", sitesSystem+"|C", gradesSystem+"|A1")
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"code:below=" + url.QueryEscape(sitesSystem+"|W"), []string{"B", "W"}},
			{"code:below=" + url.QueryEscape(sitesSystem+"|H"), []string{"B", "H", "W"}},
			{"code:above=" + url.QueryEscape(sitesSystem+"|B"), []string{"B", "H", "W"}},
			{"code:above=" + url.QueryEscape(sitesSystem+"|C"), []string{"C"}},
			{"code:below=" + url.QueryEscape(gradesSystem+"|A"), []string{"A1"}},
			{"code:in=" + url.QueryEscape(vs+"within-hospital"), []string{"B", "W"}},
			{"code:not-in=" + url.QueryEscape(vs+"in-hospital"), []string{"A1", "C"}},
		} {
			if diff := cmp.Diff(tc.want, search(tc.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		}
		for q, say := range map[string]string{
			"code:below=" + url.QueryEscape("http://loinc.org|8867-4"): "has no hierarchy",
			"code:above=" + url.QueryEscape(sitesSystem+"|X"):          `\"X\" is not a code`,
			"code:below=" + url.QueryEscape(sitesSystem+"|"):           "takes a SNOMED CT concept",
		} {
			if r := c.do("GET", "/fhir/Condition?"+q, ""); r.status != 400 || !strings.Contains(string(r.body), say) {
				t.Errorf("%s: %d %s, want 400 saying %q", q, r.status, r.body, say)
			}
		}
	})
}

// TestValueSetExclude takes a value set's compose.exclude from what its
// includes hold, in every form an include takes (codes listed, a system
// whole, filters of SNOMED CT and of a stored CodeSystem, other value
// sets), in $expand, $validate-code and :in and :not-in; what it cannot
// is refused, naming the exclude.
func TestValueSetExclude(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		storeSites(t, c)
		const sct = "http://snomed.info/sct"
		const vs = "http://example.org/fhir/ValueSet/"
		isA := func(system, op, value string) string {
			return `{"system":"` + system + `","filter":[{"property":"concept","op":"` + op + `","value":"` + value + `"}]}`
		}
		postValueSet(t, c, vs+"diabetes-not-type-2", `{"include":[`+isA(sct, "is-a", "73211009")+`],
			"exclude":[{"system":"`+sct+`","concept":[{"code":"44054006"}]}]}`)
		postValueSet(t, c, vs+"diabetes-only", `{"include":[`+isA(sct, "is-a", "73211009")+`],"exclude":[`+isA(sct, "descendent-of", "73211009")+`]}`)
		postValueSet(t, c, vs+"findings-not-diabetes", `{"include":[{"system":"`+sct+`","concept":[{"code":"195967001"},{"code":"44054006"},{"code":"73211009"}]}],
			"exclude":[{"system":"`+sct+`","filter":[{"property":"constraint","op":"=","value":"<< 73211009"}]}]}`)
		postValueSet(t, c, vs+"sites-not-ward", `{"include":[{"system":"`+sitesSystem+`"}],"exclude":[`+isA(sitesSystem, "is-a", "W")+`]}`)
		postValueSet(t, c, vs+"ward", `{"include":[`+isA(sitesSystem, "is-a", "W")+`]}`)
		postValueSet(t, c, vs+"listed-not-ward", `{"include":[{"system":"`+sitesSystem+`","concept":[{"code":"H"},{"code":"W"},{"code":"C"}]}],
			"exclude":[{"valueSet":["`+vs+`ward"]}]}`)
		postValueSet(t, c, vs+"no-sites", `{"include":[{"system":"`+sitesSystem+`"},{"system":"`+sct+`","concept":[{"code":"195967001"}]}],
			"exclude":[{"system":"`+sitesSystem+`"}]}`)
		postValueSet(t, c, vs+"snomed-not-diabetes", `{"include":[{"system":"`+sct+`"}],"exclude":[`+isA(sct, "descendent-of", "73211009")+`]}`)
		postValueSet(t, c, vs+"exclude-nothing", `{"include":[{"system":"`+sct+`"}],"exclude":[{"concept":[{"code":"44054006"}]}]}`)
		postValueSet(t, c, vs+"exclude-loinc", `{"include":[{"system":"`+sct+`"}],"exclude":[`+isA("http://loinc.org", "is-a", "8867-4")+`]}`)

		for _, tc := range []struct {
			vs, filter string
			want       []string
		}{
			{"diabetes-not-type-2", "", []string{sct + "|46635009|Type 1 diabetes mellitus", sct + "|73211009|Diabetes mellitus"}},
			{"diabetes-only", "", []string{sct + "|73211009|Diabetes mellitus"}},
			{"findings-not-diabetes", "", []string{sct + "|195967001|Asthma"}},
			{"sites-not-ward", "", []string{sitesSystem + "|C|Clinic", sitesSystem + "|H|Hospital"}},
			{"listed-not-ward", "", []string{sitesSystem + "|C|Clinic", sitesSystem + "|H|Hospital"}},
			{"no-sites", "", []string{sct + "|195967001|Asthma"}},
			{"snomed-not-diabetes", "diabetes", []string{sct + "|73211009|Diabetes mellitus"}},
		} {
			if diff := cmp.Diff(tc.want, expandCodes(t, c, vs+tc.vs, tc.filter)); diff != "" {
				t.Errorf("expand %s filtered by %q (-want +got):\n%s", tc.vs, tc.filter, diff)
			}
		}
		for _, tc := range []struct {
			vs, system, code string
			want             bool
		}{
			{"diabetes-not-type-2", sct, "44054006", false},
			{"diabetes-not-type-2", sct, "46635009", true},
			{"diabetes-only", sct, "46635009", false},
			{"findings-not-diabetes", sct, "73211009", false},
			{"findings-not-diabetes", sct, "195967001", true},
			{"sites-not-ward", sitesSystem, "B", false},
			{"sites-not-ward", sitesSystem, "H", true},
			{"no-sites", sitesSystem, "H", false},
			{"snomed-not-diabetes", sct, "44054006", false},
			{"snomed-not-diabetes", sct, "195967001", true},
		} {
			if got := validCode(t, c, vs+tc.vs, tc.system, tc.code); got != tc.want {
				t.Errorf("%s in %s: %v, want %v", tc.code, tc.vs, got, tc.want)
			}
		}
		search := codedConditions(t, c, sct+"|44054006", sct+"|46635009", sct+"|73211009", sct+"|195967001",
			sitesSystem+"|H", sitesSystem+"|W", sitesSystem+"|B", sitesSystem+"|C")
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"code:in=" + url.QueryEscape(vs+"diabetes-not-type-2"), []string{"46635009", "73211009"}},
			{"code:in=" + url.QueryEscape(vs+"diabetes-only"), []string{"73211009"}},
			{"code:in=" + url.QueryEscape(vs+"findings-not-diabetes"), []string{"195967001"}},
			{"code:in=" + url.QueryEscape(vs+"sites-not-ward"), []string{"C", "H"}},
			{"code:in=" + url.QueryEscape(vs+"no-sites"), []string{"195967001"}},
			{"code:not-in=" + url.QueryEscape(vs+"listed-not-ward"), []string{"195967001", "44054006", "46635009", "73211009", "B", "W"}},
			{"code:in=" + url.QueryEscape(vs+"snomed-not-diabetes"), []string{"195967001", "73211009"}},
			{"code:not-in=" + url.QueryEscape(vs+"snomed-not-diabetes"), []string{"44054006", "46635009", "B", "C", "H", "W"}},
		} {
			if diff := cmp.Diff(tc.want, search(tc.query)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.query, diff)
			}
		}
		for name, say := range map[string]string{"exclude-nothing": "compose.exclude[0]", "exclude-loinc": "excludes at compose.exclude[0] codes of http://loinc.org"} {
			if r := c.do("GET", "/fhir/ValueSet/$expand?url="+url.QueryEscape(vs+name)+"&filter=diabetes", ""); r.status != 422 || !strings.Contains(string(r.body), say) {
				t.Errorf("expand %s: %d %s, want 422 saying %q", name, r.status, r.body, say)
			}
		}
	})
}
