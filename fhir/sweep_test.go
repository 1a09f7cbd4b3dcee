package fhir_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/opencrs/crs"
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
	"token":     {"!=x", "!=http://example.org/cs|x", "!=|x", "!:not=x", "!:text=x", "!:missing=true"},
	"string":    {"!=a", "!:exact=A", "!:contains=a", "!:missing=false"},
	"date":      {"!=2026", "!=ge2026-01-01", "!=lt2026-03-02T09:00:00Z", "=ap2026-03", "=ne2020-01-01", "!:missing=true"},
	"reference": {"=Patient/p1", "!=p1", "!:missing=true"},
	"number":    {"!=1", "!=gt1.5", "!=ne0"},
	"quantity":  {"!=5.4|http://unitsofmeasure.org|mg", "!=gt1", "!=le5.4||mg"},
	"uri":       {"!=http://example.org/x", "!:below=http://example.org", "!:above=http://example.org/x/y", "!:missing=true"},
	"composite": {"=http://loinc.org|8480-6$gt100", "=x$y"},
	"special":   {"=x"},
}

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
					Type        string
					Interaction []struct{ Code string }
					SearchParam []struct{ Name, Type string }
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
				check("GET "+res.Type+"/_history", c.do("GET", "/fhir/"+res.Type+"/_history?_count=2", ""), false)
			}
			if !can["search-type"] {
				continue
			}
			check("GET "+res.Type, c.do("GET", "/fhir/"+res.Type+"?_count=2", ""), true)
			check("GET "+res.Type+"?_summary=count", c.do("GET", "/fhir/"+res.Type+"?_summary=count", ""), false)
			for _, p := range res.SearchParam {
				vals, ok := sweepValues[p.Type]
				if !ok {
					t.Errorf("%s.%s: a parameter of kind %q", res.Type, p.Name, p.Type)
					continue
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
