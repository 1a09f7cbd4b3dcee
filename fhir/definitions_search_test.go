package fhir_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestOwnDefinitionsSearched: a search of StructureDefinition,
// CodeSystem or NamingSystem by any of R4's search parameters finds
// OpenCRS's definitions it matches, before the trust's own it matches
// and never another trust's; paging, totals, _sort, _summary and
// _elements answer them together.
func TestOwnDefinitionsSearched(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		a, b := f.a, f.b
		sd := func(url, name string) string {
			return `{"resourceType":"StructureDefinition","url":"` + url + `","name":"` + name + `","title":"` + name + `","status":"active","kind":"complex-type","abstract":false,"type":"Extension",
				"baseDefinition":"http://hl7.org/fhir/StructureDefinition/Extension","derivation":"constraint","context":[{"type":"element","expression":"Encounter"}]}`
		}
		mySD := create(t, a, "StructureDefinition", sd("https://trust-a.example.nhs.uk/fhir/StructureDefinition/bay", "Bay"))
		theirSD := create(t, b, "StructureDefinition", sd("https://trust-b.example.nhs.uk/fhir/StructureDefinition/bay", "OtherBay"))
		myCS := create(t, a, "CodeSystem", `{"resourceType":"CodeSystem","url":"https://trust-a.example.nhs.uk/fhir/CodeSystem/access","name":"Access","status":"active","content":"complete","concept":[{"code":"refused","display":"Refused"}]}`)
		create(t, b, "CodeSystem", `{"resourceType":"CodeSystem","url":"https://trust-b.example.nhs.uk/fhir/CodeSystem/access","name":"Access","status":"active","content":"complete","concept":[{"code":"refused","display":"Refused"}]}`)
		myNS := create(t, a, "NamingSystem", `{"resourceType":"NamingSystem","name":"BayNumber","status":"active","kind":"identifier","date":"2026-01-01","uniqueId":[{"type":"uri","value":"https://trust-a.example.nhs.uk/Id/bay"}]}`)
		create(t, b, "NamingSystem", `{"resourceType":"NamingSystem","name":"BayNumber","status":"active","kind":"identifier","date":"2026-01-01","uniqueId":[{"type":"uri","value":"https://trust-b.example.nhs.uk/Id/bay"}]}`)

		// own lists the ids of OpenCRS's definitions of typ that keep
		// says match, in id order.
		own := func(typ string, keep func(fhir.Resource) bool) []string {
			var ids []string
			for _, r := range fhir.Definitions() {
				if r.Type() == typ && keep(r) {
					ids = append(ids, r.ID())
				}
			}
			slices.Sort(ids)
			return ids
		}
		all := func(fhir.Resource) bool { return true }
		none := func(fhir.Resource) bool { return false }
		str := func(k string) func(fhir.Resource) string {
			return func(r fhir.Resource) string { s, _ := r[k].(string); return s }
		}
		is := func(k, v string) func(fhir.Resource) bool {
			return func(r fhir.Resource) bool { return str(k)(r) == v }
		}
		ward, audit := "https://opencrs.org/fhir/StructureDefinition/ward-code", "https://opencrs.org/CodeSystem/audit-action"

		for _, tc := range []struct {
			typ, query string
			own        func(fhir.Resource) bool
			mine       string // the trust's own found after OpenCRS's, "" for none
		}{
			{"StructureDefinition", "type=Extension", all, mySD},
			{"StructureDefinition", "status=active", all, mySD},
			{"StructureDefinition", "base=" + url.QueryEscape("http://hl7.org/fhir/StructureDefinition/Extension"), all, mySD},
			{"StructureDefinition", "base=" + url.QueryEscape("http://hl7.org/fhir/StructureDefinition/Element"), none, ""},
			{"StructureDefinition", "derivation=constraint", all, mySD},
			{"StructureDefinition", "kind=complex-type&type=Extension", all, mySD},
			{"StructureDefinition", "ext-context=element", all, mySD},
			// R4's context-type is of useContext, which none of them has.
			{"StructureDefinition", "context-type=element", none, ""},
			{"StructureDefinition", "name=WardCode", is("name", "WardCode"), ""},
			{"StructureDefinition", "name=bay", none, mySD},
			{"StructureDefinition", "name=OtherBay", none, ""},
			{"StructureDefinition", "title:contains=order", func(r fhir.Resource) bool { return strings.Contains(strings.ToLower(str("title")(r)), "order") }, ""},
			{"StructureDefinition", "url=" + url.QueryEscape(ward), is("url", ward), ""},
			{"StructureDefinition", "url=" + url.QueryEscape(ward) + "&status=active", is("url", ward), ""},
			{"StructureDefinition", "url=" + url.QueryEscape(ward) + "&status=draft", none, ""},
			{"StructureDefinition", "_id=opencrs-ward-code,opencrs-obx-units," + mySD, func(r fhir.Resource) bool { return r.ID() == "opencrs-ward-code" || r.ID() == "opencrs-obx-units" }, mySD},
			{"StructureDefinition", "_lastUpdated=2026-12-08", all, ""},
			{"StructureDefinition", "name:missing=true", none, ""},
			{"StructureDefinition", "", all, mySD},
			{"CodeSystem", "name=AuditAction", is("url", audit), ""},
			{"CodeSystem", "system=" + url.QueryEscape(audit), is("url", audit), ""},
			{"CodeSystem", "code=refused", is("url", audit), myCS},
			{"CodeSystem", "content-mode=not-present", is("content", "not-present"), ""},
			{"CodeSystem", "content-mode=complete&status=active", is("content", "complete"), myCS},
			{"CodeSystem", "publisher=OpenCRS", all, ""},
			{"NamingSystem", "kind=identifier", all, myNS},
			{"NamingSystem", "id-type=uri", all, myNS},
			{"NamingSystem", "type=" + url.QueryEscape("http://terminology.hl7.org/CodeSystem/v2-0203|MR"), none, ""},
			{"NamingSystem", "value=" + url.QueryEscape(fhir.SystemHospitalNumber), is("id", "opencrs-hospital-number"), ""},
			{"NamingSystem", "name=BayNumber", none, myNS},
			// value is a string parameter, matched from its start
			// unless :exact.
			{"NamingSystem", "value=" + url.QueryEscape(fhir.ResultVersionSystem), func(r fhir.Resource) bool { return strings.HasPrefix(r.ID(), "opencrs-result") }, ""},
			{"NamingSystem", "value:exact=" + url.QueryEscape(fhir.ResultVersionSystem), is("id", "opencrs-result"), ""},
		} {
			t.Run(tc.typ+"?"+tc.query, func(t *testing.T) {
				want := own(tc.typ, tc.own)
				if tc.mine != "" {
					want = append(want, tc.mine)
				}
				if want == nil {
					want = []string{}
				}
				q := tc.typ + "?" + tc.query
				if tc.query != "" {
					q += "&"
				}
				if got := pages(t, a, q+"_count=7"); !slices.Equal(got, want) {
					t.Errorf("found %v, want %v", got, want)
				}
				// The total is the same on every page.
				for _, offset := range []string{"", "&_offset=7", "&_offset=35"} {
					m := a.do("GET", "/fhir/"+q+"_count=7&_total=accurate"+offset, "").json(t)
					if n, _ := m["total"].(json.Number); string(n) != strconv.Itoa(len(want)) {
						t.Errorf("%s: total %v, want %d", offset, m["total"], len(want))
					}
				}
				count := a.do("GET", "/fhir/"+q+"_summary=count", "").json(t)
				if n, _ := count["total"].(json.Number); string(n) != strconv.Itoa(len(want)) || count["entry"] != nil {
					t.Errorf("_summary=count: total %v, entries %v; want %d", count["total"], count["entry"], len(want))
				}
			})
		}

		// Another trust finds OpenCRS's and its own, never the first's.
		got := pages(t, b, "StructureDefinition?type=Extension&_count=50")
		if want := append(own("StructureDefinition", all), theirSD); !slices.Equal(got, want) {
			t.Errorf("trust B found %v, want %v", got, want)
		}

		// Sorted, OpenCRS's and the trust's are sorted together, and
		// paged in that order.
		for _, sort := range []string{"name", "-name", "title,_id"} {
			t.Run("_sort="+sort, func(t *testing.T) {
				byName := map[string]string{mySD: "Bay"}
				titles := map[string]string{mySD: "Bay"}
				for _, r := range fhir.Definitions() {
					if r.Type() == "StructureDefinition" {
						byName[r.ID()], titles[r.ID()] = r["name"].(string), r["title"].(string)
					}
				}
				want := slices.Collect(func(yield func(string) bool) {
					for id := range byName {
						if !yield(id) {
							return
						}
					}
				})
				slices.SortFunc(want, func(x, y string) int {
					switch sort {
					case "name":
						return strings.Compare(strings.ToLower(byName[x]), strings.ToLower(byName[y]))
					case "-name":
						return strings.Compare(strings.ToLower(byName[y]), strings.ToLower(byName[x]))
					}
					if c := strings.Compare(strings.ToLower(titles[x]), strings.ToLower(titles[y])); c != 0 {
						return c
					}
					return strings.Compare(x, y)
				})
				got := pages(t, a, "StructureDefinition?_sort="+sort+"&_count=6")
				if !slices.Equal(got, want) {
					t.Errorf("found %v\nwant %v", got, want)
				}
			})
		}

		// _revinclude adds the trust's resources that refer to them.
		prov := create(t, a, "Provenance", `{"resourceType":"Provenance","target":[{"reference":"StructureDefinition/opencrs-ward-code"}],"recorded":"2026-03-01T09:00:00Z","agent":[{"who":{"display":"Integration team"}}]}`)
		create(t, b, "Provenance", `{"resourceType":"Provenance","target":[{"reference":"StructureDefinition/opencrs-ward-code"}],"recorded":"2026-03-01T09:00:00Z","agent":[{"who":{"display":"Another trust"}}]}`)
		inc := a.do("GET", "/fhir/StructureDefinition?url="+url.QueryEscape(ward)+"&_revinclude=Provenance:target", "").json(t)
		var found []string
		for _, e := range inc["entry"].([]any) {
			e := e.(map[string]any)
			found = append(found, e["search"].(map[string]any)["mode"].(string)+" "+e["resource"].(map[string]any)["id"].(string))
		}
		if want := []string{"match opencrs-ward-code", "include " + prov}; !slices.Equal(found, want) {
			t.Errorf("_revinclude: %v, want %v", found, want)
		}

		// _elements and _summary cut OpenCRS's as the trust's.
		page := a.do("GET", "/fhir/StructureDefinition?name=WardCode,Bay&_elements=name", "").json(t)
		entries, _ := page["entry"].([]any)
		if len(entries) != 2 {
			t.Fatalf("_elements: %d entries, want 2", len(entries))
		}
		for _, e := range entries {
			r := e.(map[string]any)["resource"].(map[string]any)
			if r["name"] == nil || r["snapshot"] != nil || !strings.Contains(string(mustJSON(t, r["meta"])), "SUBSETTED") {
				t.Errorf("_elements=name: %v", r)
			}
		}
		page = a.do("GET", "/fhir/StructureDefinition?url="+url.QueryEscape(ward)+"&_summary=true", "").json(t)
		if r := page["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any); r["url"] != ward || r["snapshot"] != nil || r["differential"] != nil {
			t.Errorf("_summary=true: %v", r)
		}
	})
}
