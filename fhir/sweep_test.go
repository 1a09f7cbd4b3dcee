package fhir_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// sweepValues are values of each kind of search parameter, as a client
// reading the CapabilityStatement would send them: plain, with the
// prefixes and modifiers the kind takes, and :missing. Those marked !
// are well formed for every parameter of the kind, and must be answered
// with a searchset; the others may be refused for what the parameter
// is (a reference to a type it cannot refer to, a composite's parts).
var sweepValues = map[string][]string{
	"token": {"!=x", "!=http://example.org/cs|x", "!=|x", "!:not=x", "!:text=x", "!:missing=true",
		"!:in=http://hl7.org/fhir/ValueSet/administrative-gender", "!:not-in=http://hl7.org/fhir/ValueSet/administrative-gender",
		"=:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|x"},
	"string":    {"!=a", "!:exact=A", "!:contains=a", "!:missing=false"},
	"date":      {"!=2026", "!=ge2026-01-01", "!=lt2026-03-02T09:00:00Z", "=ap2026-03", "=ne2020-01-01", "!:missing=true"},
	"reference": {"=Patient/p1", "!=p1", "!:missing=true"},
	"number":    {"!=1", "!=gt1.5", "!=ne0"},
	"quantity":  {"!=5.4|http://unitsofmeasure.org|mg", "!=gt1", "!=le5.4||mg"},
	"uri":       {"!=http://example.org/x", "!:below=http://example.org", "!:above=http://example.org/x/y", "!:missing=true"},
	"composite": {"=http://loinc.org|8480-6$gt100", "=x$y"},
	"special":   {"=x"},
}

// wordsParam are the parameters of words (in the resource, in its
// narrative), which have no value of their own to sort by.
var wordsParam = map[string]bool{"_content": true, "_text": true}

// sweepNamed are values asked of a parameter by its name, besides those
// of its kind: the words of _content and _text, a List's id and a
// functional list for _list, and an identifier's type.
var sweepNamed = map[string][]string{
	"_content":   {"!=blood", "!=blood pressure"},
	"_text":      {"!=blood"},
	"_list":      {"!=no-such-list", "=$current-problems"},
	"identifier": {"!:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|x"},
}

// sortedInPlace are the types whose trust-wide searches are read from the
// PAS's records in their own order (or the PMI's, by the keys it sorts
// by), which may refuse a _sort they cannot do with an OperationOutcome.
var sortedInPlace = map[string]bool{"Patient": true, "Encounter": true, "EpisodeOfCare": true, "ServiceRequest": true, "Appointment": true, "Slot": true, "AuditEvent": true}

// TestEveryAdvertisedSearch asks every search parameter the
// CapabilityStatement lists for every type, with values of its kind,
// and every type's read of an id it does not hold, and its history
// where listed: each is answered with a Bundle or an OperationOutcome
// that says what is wrong, never a server error.
func TestEveryAdvertisedSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("asks some thousands of searches; not with -short")
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Sweep","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"subject":{"reference":"Patient/`+pid+`"},"effectiveDateTime":"2026-03-01T10:00:00Z","valueQuantity":{"value":120,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}`)
		create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"asthma"},"subject":{"reference":"Patient/`+pid+`"}}`)
		var cs struct {
			Rest []struct {
				Resource []struct {
					Type             string
					Interaction      []struct{ Code string }
					SearchParam      []struct{ Name, Type string }
					SearchInclude    []string
					SearchRevInclude []string
				}
			}
		}
		if err := json.Unmarshal(c.do("GET", "/fhir/metadata", "").body, &cs); err != nil || len(cs.Rest) == 0 {
			t.Fatalf("metadata: %v", err)
		}
		asked := 0
		check := func(what string, r response, strict bool) {
			t.Helper()
			asked++
			var got struct{ ResourceType, Type string }
			json.Unmarshal(r.body, &got)
			switch {
			case r.status == 200 && got.ResourceType == "Bundle":
			case !strict && r.status >= 400 && r.status < 500 && isOutcome(r):
			default:
				t.Errorf("%s: %d %.300s", what, r.status, r.body)
			}
		}
		for _, res := range cs.Rest[0].Resource {
			can := map[string]bool{}
			for _, i := range res.Interaction {
				can[i.Code] = true
			}
			if can["read"] {
				if r := c.do("GET", "/fhir/"+res.Type+"/no-such-id", ""); r.status != 404 || !isOutcome(r) {
					t.Errorf("GET %s/no-such-id: %d %.300s, want 404 with an OperationOutcome", res.Type, r.status, r.body)
				}
			}
			if can["history-type"] {
				check("GET "+res.Type+"/_history", c.do("GET", "/fhir/"+res.Type+"/_history?_count=2", ""), true)
			}
			if !can["search-type"] {
				continue
			}
			check("GET "+res.Type, c.do("GET", "/fhir/"+res.Type+"?_count=2", ""), true)
			check("GET "+res.Type+"?_summary=count", c.do("GET", "/fhir/"+res.Type+"?_summary=count", ""), false)
			for _, inc := range res.SearchInclude {
				check("GET "+res.Type+"?_include="+inc, c.do("GET", "/fhir/"+res.Type+"?_count=2&_include="+url.QueryEscape(inc)+"&_include:iterate="+url.QueryEscape(inc), ""), true)
			}
			for _, inc := range res.SearchRevInclude {
				check("GET "+res.Type+"?_revinclude="+inc, c.do("GET", "/fhir/"+res.Type+"?_count=2&_revinclude="+url.QueryEscape(inc), ""), true)
			}
			for _, p := range res.SearchParam {
				if p.Type != "composite" && p.Type != "special" {
					check("GET "+res.Type+"?_sort=-"+p.Name, c.do("GET", "/fhir/"+res.Type+"?_count=2&_sort=-"+url.QueryEscape(p.Name), ""), !sortedInPlace[res.Type] && !wordsParam[p.Name])
				}
				vals, ok := sweepValues[p.Type]
				if !ok {
					t.Errorf("%s.%s: a parameter of kind %q", res.Type, p.Name, p.Type)
					continue
				}
				if named := sweepNamed[p.Name]; named != nil {
					vals = append(slices.Clone(named), vals...)
					if wordsParam[p.Name] {
						vals = named // words, which take no modifier
					}
				}
				for _, v := range vals {
					// The audit trail takes its parameters' plain values only.
					strict := v[0] == '!' && (res.Type != "AuditEvent" || v[1] == '=')
					v = strings.TrimPrefix(v, "!")
					q := url.PathEscape(p.Name) + v
					if v[0] == '=' {
						q = url.PathEscape(p.Name) + "=" + url.QueryEscape(v[1:])
					} else if mod, val, ok := strings.Cut(v[1:], "="); ok {
						q = url.PathEscape(p.Name) + ":" + mod + "=" + url.QueryEscape(val)
					}
					check("GET "+res.Type+"?"+q, c.do("GET", "/fhir/"+res.Type+"?"+q+"&_count=2", ""), strict)
				}
			}
		}
		t.Logf("%d requests asked", asked)
		if asked < 1000 {
			t.Errorf("only %d requests asked: the CapabilityStatement lists too little", asked)
		}
	})
}

// TestEveryAdvertisedInteraction walks the interactions the
// CapabilityStatement lists for each type with a resource holding only
// what R4 requires of it: create (201, Location, ETag), read (ETag,
// Last-Modified), update with If-Match (a new version; 412 for a stale
// one), history and vread, patch (JSON Patch and FHIRPath Patch), search
// by _id, and delete (410 after).
// A type the server keeps in the PAS's records may refuse the minimal
// resource with an OperationOutcome saying why; every other must take it.
func TestEveryAdvertisedInteraction(t *testing.T) {
	if testing.Short() {
		t.Skip("writes every type; not with -short")
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		var cs struct {
			Rest []struct {
				Resource []struct {
					Type        string
					Interaction []struct{ Code string }
				}
			}
		}
		if err := json.Unmarshal(c.do("GET", "/fhir/metadata", "").body, &cs); err != nil || len(cs.Rest) == 0 {
			t.Fatalf("metadata: %v", err)
		}
		walked := 0
		for _, res := range cs.Rest[0].Resource {
			typ := res.Type
			can := map[string]bool{}
			for _, i := range res.Interaction {
				can[i.Code] = true
			}
			if !can["create"] {
				continue
			}
			body, _ := json.Marshal(minimalWritten(typ))
			r := c.do("POST", "/fhir/"+typ, string(body))
			if r.status != 201 {
				if pasKept[typ] && r.status >= 400 && r.status < 500 && isOutcome(r) {
					continue
				}
				t.Errorf("POST %s %s: %d %.400s", typ, body, r.status, r.body)
				continue
			}
			walked++
			id, _ := r.json(t)["id"].(string)
			if loc := r.header.Get("Location"); !strings.Contains(loc, "/"+typ+"/"+id+"/_history/1") || r.header.Get("ETag") != `W/"1"` {
				t.Errorf("POST %s: Location %q, ETag %q", typ, loc, r.header.Get("ETag"))
			}
			path := "/fhir/" + typ + "/" + id
			if r := c.do("GET", path, ""); r.status != 200 || r.header.Get("ETag") != `W/"1"` || r.header.Get("Last-Modified") == "" {
				t.Errorf("GET %s: %d, ETag %q, Last-Modified %q", path, r.status, r.header.Get("ETag"), r.header.Get("Last-Modified"))
				continue
			}
			if can["update"] {
				m := minimalWritten(typ)
				m["id"], m["language"] = id, "en-GB"
				body, _ := json.Marshal(m)
				if r := c.do("PUT", path, string(body), "If-Match", `W/"1"`); r.status != 200 || r.header.Get("ETag") != `W/"2"` {
					t.Errorf("PUT %s If-Match 1: %d, ETag %q: %.300s", path, r.status, r.header.Get("ETag"), r.body)
				}
				if r := c.do("PUT", path, string(body), "If-Match", `W/"1"`); r.status != 412 || !isOutcome(r) {
					t.Errorf("PUT %s with a stale If-Match: %d, want 412", path, r.status)
				}
				if can["history-instance"] {
					h := c.do("GET", path+"/_history", "").json(t)
					if es, _ := h["entry"].([]any); h["type"] != "history" || len(es) != 2 {
						t.Errorf("GET %s/_history: %d entries, want 2", path, len(es))
					}
				}
			}
			if can["vread"] {
				if r := c.do("GET", path+"/_history/1", ""); r.status != 200 || r.header.Get("ETag") != `W/"1"` {
					t.Errorf("GET %s/_history/1: %d, ETag %q", path, r.status, r.header.Get("ETag"))
				}
			}
			if can["patch"] {
				r := c.do("PATCH", path, `[{"op":"add","path":"/language","value":"cy"}]`, "Content-Type", "application/json-patch+json")
				if r.status != 200 || r.json(t)["language"] != "cy" {
					t.Errorf("PATCH %s: %d %.300s", path, r.status, r.body)
				}
				fp := `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"` + typ + `.language"},{"name":"value","valueCode":"en"}]}]}`
				if r := c.do("PATCH", path, fp); r.status != 200 || r.json(t)["language"] != "en" {
					t.Errorf("PATCH %s with a FHIRPath Patch: %d %.300s", path, r.status, r.body)
				}
			}
			if can["search-type"] {
				s := c.do("GET", "/fhir/"+typ+"?_id="+id, "").json(t)
				if es, _ := s["entry"].([]any); len(es) != 1 {
					t.Errorf("GET %s?_id=%s: %d entries, want 1", typ, id, len(es))
				}
			}
			if can["delete"] {
				if r := c.do("DELETE", path, ""); r.status != 200 && r.status != 204 {
					t.Errorf("DELETE %s: %d %.300s", path, r.status, r.body)
				}
				if r := c.do("GET", path, ""); r.status != 410 || !isOutcome(r) {
					t.Errorf("GET %s once deleted: %d, want 410", path, r.status)
				}
			}
		}
		t.Logf("%d types walked", walked)
		if walked < 100 {
			t.Errorf("only %d types walked", walked)
		}
	})
}

// pasKept are the types whose records the PAS keeps (or whose creation
// is a registration), which may refuse a resource holding only what R4
// requires.
var pasKept = map[string]bool{"Patient": true, "Appointment": true}

// minimalWritten is fhir.MinimalResource of a type as a client writes
// it: a Subscription off, as one asking for notifications is refused
// (TestSubscriptionRefused).
func minimalWritten(typ string) map[string]any {
	m := fhir.MinimalResource(typ)
	if typ == "Subscription" {
		m["status"] = "off"
	}
	return m
}
