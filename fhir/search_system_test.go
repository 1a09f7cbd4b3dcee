package fhir_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// systemPage runs a system search that must answer 200: the types/ids of
// its matches, in order, those of what it included, and its next link.
func systemPage(t *testing.T, c *client, method, path, form string) (matches, included []string, next string, m map[string]any) {
	t.Helper()
	var r response
	if method == "POST" {
		r = c.do("POST", path, form, "Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = c.do("GET", path, "")
	}
	if r.status != 200 {
		t.Fatalf("%s %s %s: %d %s", method, path, form, r.status, r.body)
	}
	m = r.json(t)
	if m["type"] != "searchset" {
		t.Fatalf("%s: a %v Bundle, want a searchset", path, m["type"])
	}
	es, _ := m["entry"].([]any)
	for _, e := range es {
		e := e.(map[string]any)
		res := e["resource"].(map[string]any)
		key := res["resourceType"].(string) + "/" + res["id"].(string)
		if e["search"].(map[string]any)["mode"] == "match" {
			matches = append(matches, key)
		} else {
			included = append(included, key)
		}
	}
	ls, _ := m["link"].([]any)
	for _, l := range ls {
		if l := l.(map[string]any); l["relation"] == "next" {
			next = l["url"].(string)
		}
	}
	return matches, included, next, m
}

// TestSystemSearch: GET [base]?... and POST [base]/_search search every
// type _type names, or every type without it, by the parameters of every
// resource: a trust's own resources only, counted by _summary=count,
// with an unknown parameter or one not of every type named refused.
func TestSystemSearch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		clock.Set(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
		oldObs := create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2025-12-31", "70"))
		clock.Set(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
		obs := create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2026-03-01", "72"))
		cond := create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"},"meta":{"tag":[{"system":"http://example.org/tags","code":"review"}]}}`)
		allergy := create(t, c, "AllergyIntolerance", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"},"code":{"text":"Penicillin"},"meta":{"tag":[{"system":"http://example.org/tags","code":"review"}]}}`)
		// Trust B's resources, of the same types, at the same time.
		otherObs := create(t, f.b, "Observation", fmt.Sprintf(observation, "p1", "2026-03-01", "90"))
		otherCond := create(t, f.b, "Condition", `{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/p1"},"meta":{"tag":[{"system":"http://example.org/tags","code":"review"}]}}`)

		for _, tc := range []struct {
			name, method, path, form string
			want                     []string
		}{
			{"_type and _lastUpdated", "GET", "/fhir?_type=Observation,Condition&_lastUpdated=gt2026-02-01", "",
				[]string{"Observation/" + obs, "Condition/" + cond}},
			{"_type order", "GET", "/fhir?_type=Condition,Observation&_lastUpdated=lt2026-02-01", "",
				[]string{"Observation/" + oldObs}},
			// Before OpenCRS's definitions were last changed, which every
			// trust is served.
			{"_lastUpdated of every type", "GET", "/fhir/?_lastUpdated=gt2026-02-01&_lastUpdated=lt2026-06-01", "",
				[]string{"AllergyIntolerance/" + allergy, "Condition/" + cond, "Observation/" + obs}},
			{"OpenCRS's definitions", "GET", "/fhir?_type=CodeSystem,NamingSystem&_lastUpdated=gt2026-06-01&_id=opencrs-audit-action,opencrs-hospital-number," + obs, "",
				[]string{"CodeSystem/opencrs-audit-action", "NamingSystem/opencrs-hospital-number"}},
			{"_id", "GET", "/fhir?_id=" + obs + "," + cond + "," + otherObs, "",
				[]string{"Condition/" + cond, "Observation/" + obs}},
			{"_tag", "GET", "/fhir?_tag=http://example.org/tags|review", "",
				[]string{"AllergyIntolerance/" + allergy, "Condition/" + cond}},
			{"a parameter of every type named", "GET", "/fhir?_type=Observation,Condition&subject=Patient/p1&_sort=_lastUpdated", "",
				[]string{"Observation/" + oldObs, "Observation/" + obs, "Condition/" + cond}},
			{"POST _search", "POST", "/fhir/_search", "_type=Observation,AllergyIntolerance&_lastUpdated=ge2026-03-01",
				[]string{"Observation/" + obs, "AllergyIntolerance/" + allergy}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, _, next, _ := systemPage(t, c, tc.method, tc.path, tc.form)
				if !slices.Equal(got, tc.want) || next != "" {
					t.Errorf("got %v, next %q; want %v and no next page", got, next, tc.want)
				}
				for _, other := range []string{"Observation/" + otherObs, "Condition/" + otherCond} {
					if slices.Contains(got, other) {
						t.Errorf("trust B's %s is in trust A's search", other)
					}
				}
			})
		}

		// _summary=count counts the matches of every type searched.
		_, _, _, m := systemPage(t, c, "GET", "/fhir?_type=Observation,Condition,AllergyIntolerance&_summary=count", "")
		if total := fmt.Sprint(m["total"]); total != "4" || m["entry"] != nil {
			t.Errorf("_summary=count: total %s, entries %v; want 4 and none", total, m["entry"])
		}
		_, _, _, m = systemPage(t, c, "GET", "/fhir?_tag=http://example.org/tags|review&_summary=count", "")
		if total := fmt.Sprint(m["total"]); total != "2" {
			t.Errorf("_tag, _summary=count: total %s, want 2", total)
		}

		// _include follows the references of the type it names.
		enc := create(t, c, "Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"}}`)
		withEnc := create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"Weight"},"encounter":{"reference":"Encounter/%s"}}`, enc))
		got, inc, _, _ := systemPage(t, c, "GET", "/fhir?_type=Observation,Condition&_id="+withEnc+","+cond+"&_include=Observation:encounter", "")
		if want := []string{"Observation/" + withEnc, "Condition/" + cond}; !slices.Equal(got, want) || !slices.Equal(inc, []string{"Encounter/" + enc}) {
			t.Errorf("_include: matches %v, included %v; want %v and Encounter/%s", got, inc, want, enc)
		}

		// _has finds the resources others refer to, of every type;
		// _revinclude adds those that refer to the matches.
		pat := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Tester"}]}`)
		hr := create(t, c, "Observation", fmt.Sprintf(observation, pat, "2026-03-01", "72"))
		if got, _, _, _ := systemPage(t, c, "GET", "/fhir?_has:Observation:subject:code=http://loinc.org|8867-4", ""); !slices.Equal(got, []string{"Patient/" + pat}) {
			t.Errorf("_has: %v, want Patient/%s", got, pat)
		}
		got, inc, _, _ = systemPage(t, c, "GET", "/fhir?_type=Patient,Group&_revinclude=Observation:subject", "")
		if !slices.Equal(got, []string{"Patient/" + pat}) || !slices.Equal(inc, []string{"Observation/" + hr}) {
			t.Errorf("_revinclude: matches %v, included %v; want Patient/%s and Observation/%s", got, inc, pat, hr)
		}

		for _, tc := range []struct{ name, path, names string }{
			{"unknown parameter", "/fhir?_type=Observation&foo=bar", "foo"},
			{"a parameter of one type named, not every", "/fhir?_type=Observation,Condition&code-value-quantity=8867-4$gt60", "code-value-quantity"},
			{"a type's parameter without _type", "/fhir?status=final", "status"},
			{"not a type", "/fhir?_type=Observation,Obsrvation", "Obsrvation"},
			{"_include of a type not searched", "/fhir?_type=Condition&_include=Observation:encounter", "Observation:encounter"},
			{"a bad value", "/fhir?_lastUpdated=yesterday", "_lastUpdated"},
			{"a bad cursor", "/fhir?_type=Condition&_cursor=Observation", "_cursor"},
			{"_offset without _sort", "/fhir?_type=Condition,Observation&_offset=2", "_offset"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do("GET", tc.path, "", "Prefer", "handling=strict")
				if r.status != 400 || !isOutcome(r) || !strings.Contains(string(r.body), tc.names) {
					t.Errorf("%d %s; want 400, an OperationOutcome naming %s", r.status, r.body, tc.names)
				}
			})
		}
		// A parameter of some types but not of all those searched is
		// refused even so: left out, it would widen the search of the
		// types that have it.
		for _, path := range []string{"/fhir?_type=Observation,Condition&code-value-quantity=8867-4$gt60", "/fhir?status=final", "/fhir?_type=Patient,Observation&birthdate=gt2000-01-01"} {
			if r := c.do("GET", path, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s, no Prefer: %d %.300s, want 400", path, r.status, r.body)
			}
		}
		// Lenient, as without Prefer: handling=strict, an unknown
		// parameter is left out of the search and its self link, an
		// outcome entry naming it; a bad value is refused still.
		for _, prefer := range []string{"handling=lenient", ""} {
			r := c.do("GET", "/fhir?_type=Condition,AllergyIntolerance&_lastUpdated=gt2026-02-01&foo=bar", "", "Prefer", prefer)
			if r.status != 200 {
				t.Fatalf("Prefer %q: %d %s", prefer, r.status, r.body)
			}
			self := r.json(t)["link"].([]any)[0].(map[string]any)["url"].(string)
			es, _ := r.json(t)["entry"].([]any)
			if len(es) != 3 || strings.Contains(self, "foo") || !strings.Contains(string(r.body), `"expression":["foo"]`) {
				t.Errorf("Prefer %q: %d entries, self %s; want the 2 matches and an outcome naming foo, and no foo in the self link", prefer, len(es), self)
			}
		}
		if r := c.do("GET", "/fhir?_lastUpdated=yesterday", "", "Prefer", "handling=lenient"); r.status != 400 {
			t.Errorf("lenient, a bad value: %d, want 400", r.status)
		}
	})
}

// TestSystemSearchPaging: paged 2 at a time over three types while
// resources of each are added, a system search answers every match it
// had once, none twice, and those added to a type it has not yet paged
// past.
func TestSystemSearchPaging(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		newOf := map[string]func() string{
			"AllergyIntolerance": func() string {
				return create(t, c, "AllergyIntolerance", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"},"code":{"text":"Latex"}}`)
			},
			"Condition": func() string {
				return create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"}}`)
			},
			"Observation": func() string {
				return create(t, c, "Observation", fmt.Sprintf(observation, "p1", "2026-03-01", "72"))
			},
		}
		want := map[string]bool{}
		for _, typ := range []string{"AllergyIntolerance", "Condition", "Observation"} {
			for range 3 {
				want[typ+"/"+newOf[typ]()] = true
			}
		}
		seen := map[string]bool{}
		path := "/fhir?_type=AllergyIntolerance,Condition,Observation&_count=2"
		for pages := 0; path != ""; pages++ {
			if pages > 20 {
				t.Fatalf("more than 20 pages")
			}
			got, _, next, _ := systemPage(t, c, "GET", path, "")
			if len(got) > 2 {
				t.Errorf("page %d holds %d, more than _count=2", pages, len(got))
			}
			for _, k := range got {
				if seen[k] {
					t.Errorf("page %d repeats %s", pages, k)
				}
				seen[k] = true
			}
			// A resource of each type is added after each page: those of
			// a type not yet paged past must be found.
			for typ, add := range newOf {
				id := typ + "/" + add()
				if next == "" {
					continue
				}
				last, _, _ := strings.Cut(got[len(got)-1], "/")
				u, _ := url.Parse(next)
				within := strings.HasPrefix(u.Query().Get("_cursor"), last+"?")
				if typ > last || typ == last && within {
					want[id] = true
				}
			}
			path = next
		}
		for k := range want {
			if !seen[k] {
				t.Errorf("%s was never answered", k)
			}
		}
	})
}

// TestSystemSearchScopes: a token searches the types its scopes allow:
// without _type those, naming another type it is refused.
func TestSystemSearchScopes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		obs := create(t, f.a, "Observation", fmt.Sprintf(observation, "p1", "2026-03-01", "72"))
		create(t, f.a, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"}}`)
		readObs, _ := fhir.ParseScopes("system/Observation.read")
		f.server.Auth.(bearerAuth)["a-obs"] = &fhir.Principal{Actor: f.trustA.Actor(crs.RoleInterface), Scopes: readObs}
		c := &client{t, f.base, "a-obs"}
		got, _, _, _ := systemPage(t, c, "GET", "/fhir?_lastUpdated=gt2000-01-01", "")
		if want := []string{"Observation/" + obs}; !slices.Equal(got, want) {
			t.Errorf("without _type: %v, want %v", got, want)
		}
		r := c.do("GET", "/fhir?_type=Observation,Condition", "")
		if r.status != 403 || !isOutcome(r) || !strings.Contains(string(r.body), "Condition") {
			t.Errorf("_type naming Condition: %d %s, want 403 naming Condition", r.status, r.body)
		}
	})
}

// TestSystemSearchPAS: on the server as crs serve runs it, a system
// search reaches the patient index and the typed core through their own
// searches.
func TestSystemSearchPAS(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pat := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Tester","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01"}`)
		obs := create(t, c, "Observation", fmt.Sprintf(observation, pat, "2026-03-01", "72"))
		got, _, _, _ := systemPage(t, c, "GET", "/fhir?_id="+url.QueryEscape(pat+","+obs), "")
		if want := []string{"Observation/" + obs, "Patient/" + pat}; !slices.Equal(got, want) {
			t.Errorf("_id: %v, want %v", got, want)
		}
		got, _, _, _ = systemPage(t, c, "GET", "/fhir?_type=Patient,Observation&_id="+url.QueryEscape(pat+","+obs), "")
		if want := []string{"Patient/" + pat, "Observation/" + obs}; !slices.Equal(got, want) {
			t.Errorf("_type=Patient,Observation&_id: %v, want %v", got, want)
		}
		// _has searches only the types its reference may point at: the
		// patient index here, not the PAS's locations, which _has cannot
		// search.
		got, _, _, _ = systemPage(t, c, "GET", "/fhir?_has:Observation:patient:code=http://loinc.org|8867-4", "")
		if want := []string{"Patient/" + pat}; !slices.Equal(got, want) {
			t.Errorf("_has: %v, want %v", got, want)
		}
		got, _, _, _ = systemPage(t, c, "GET", "/fhir?_lastUpdated=gt2000-01-01&_count=1000", "")
		if !slices.Contains(got, "Patient/"+pat) || !slices.Contains(got, "Observation/"+obs) {
			t.Errorf("_lastUpdated: %v, want Patient/%s and Observation/%s among them", got, pat, obs)
		}
	})
}

// TestSystemSearchCapability: the CapabilityStatement states the system
// search and the parameters it takes without _type.
func TestSystemSearchCapability(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		m := start(t, db, clock, nil).a.do("GET", "/fhir/metadata", "").json(t)
		rest := m["rest"].([]any)[0].(map[string]any)
		var codes, params []string
		for _, in := range rest["interaction"].([]any) {
			codes = append(codes, in.(map[string]any)["code"].(string))
		}
		for _, p := range rest["searchParam"].([]any) {
			params = append(params, p.(map[string]any)["name"].(string))
		}
		if !slices.Contains(codes, "search-system") {
			t.Errorf("rest.interaction %v, want search-system among them", codes)
		}
		for _, want := range []string{"_type", "_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_has"} {
			if !slices.Contains(params, want) {
				t.Errorf("rest.searchParam %v, want %s among them", params, want)
			}
		}
	})
}

// BenchmarkSystemSearch answers one page of a search of every type by
// _lastUpdated, over 300 resources of three types: each type the token
// may read is searched.
func BenchmarkSystemSearch(b *testing.B) {
	srv, token := benchServer(b)
	for i := range 100 {
		post(b, srv.URL+"/fhir/Observation", token, fmt.Sprintf(observation, "p1", "2026-03-01", fmt.Sprint(60+i%40)))
		post(b, srv.URL+"/fhir/Condition", token, `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"}}`)
		post(b, srv.URL+"/fhir/AllergyIntolerance", token, `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"},"code":{"text":"Latex"}}`)
	}
	for _, tc := range []struct{ name, path string }{
		{"every type", "/fhir?_lastUpdated=gt2000-01-01&_count=50"},
		{"three types", "/fhir?_type=AllergyIntolerance,Condition,Observation&_lastUpdated=gt2000-01-01&_count=50"},
		{"count every type", "/fhir?_lastUpdated=gt2000-01-01&_summary=count"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("%s: %d", tc.path, resp.StatusCode)
				}
			}
		})
	}
}

// TestSystemSearchSort: a search of several types with _sort by
// _lastUpdated or _id sorts their matches together, paged by _offset,
// each match read whole with what _include adds to it.
func TestSystemSearchSort(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		at := func(day int) { clock.Set(time.Date(2026, 3, day, 9, 0, 0, 0, time.UTC)) }
		at(1)
		enc := create(t, c, "Encounter", `{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"}}`)
		at(2)
		a := "Condition/" + create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"}}`)
		at(3)
		b := "Observation/" + create(t, c, "Observation", fmt.Sprintf(`{"resourceType":"Observation","status":"final","code":{"text":"Weight"},"encounter":{"reference":"Encounter/%s"}}`, enc))
		at(4)
		cc := "Condition/" + create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/p1"}}`)
		at(5)
		d := "AllergyIntolerance/" + create(t, c, "AllergyIntolerance", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"},"code":{"text":"Latex"}}`)

		for _, tc := range []struct {
			name, path string
			want       [][]string
		}{
			{"-_lastUpdated", "/fhir?_type=Observation,Condition,AllergyIntolerance&_sort=-_lastUpdated&_count=2", [][]string{{d, cc}, {b, a}}},
			{"_lastUpdated", "/fhir?_type=AllergyIntolerance,Condition,Observation&_sort=_lastUpdated&_count=3", [][]string{{a, b, cc}, {d}}},
			{"_id", "/fhir?_type=AllergyIntolerance,Condition,Observation&_sort=_id&_count=2", [][]string{{a, b}, {cc, d}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := tc.path
				var pages [][]string
				for path != "" && len(pages) < 5 {
					got, _, next, _ := systemPage(t, c, "GET", path, "")
					pages = append(pages, got)
					path = next
				}
				if fmt.Sprint(pages) != fmt.Sprint(tc.want) {
					t.Errorf("pages %v, want %v", pages, tc.want)
				}
			})
		}
		got, inc, _, m := systemPage(t, c, "GET", "/fhir?_type=Observation,Condition&_sort=-_lastUpdated&_include=Observation:encounter&_count=2", "")
		if want := []string{cc, b}; !slices.Equal(got, want) || !slices.Equal(inc, []string{"Encounter/" + enc}) {
			t.Errorf("with _include: matches %v, included %v; want %v and Encounter/%s", got, inc, want, enc)
		}
		// Matches are read whole, not cut to the keys they were sorted by.
		if e := m["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any); e["code"] == nil {
			t.Errorf("a sorted match is served without its code: %v", e)
		}
		if r := c.do("GET", "/fhir?_type=Observation,Condition&_sort=code", ""); r.status != 400 || !strings.Contains(string(r.body), "_sort") {
			t.Errorf("_sort=code of two types: %d %s, want 400 naming _sort", r.status, r.body)
		}
	})
}
