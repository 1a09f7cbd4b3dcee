package fhir_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatchSNOMEDCodes checks a patched Condition or AllergyIntolerance
// against the trust's SNOMED CT release as a create or update is: a
// JSON Patch or FHIRPath Patch that puts an unknown concept in is
// refused as a PUT with it is, writing nothing, alone, in a batch's
// entry and in a transaction, which rolls back whole.
func TestPatchSNOMEDCodes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		_, c := startSNOMED(t, db, clock)
		cond := func(id, code string) string {
			idPart := ""
			if id != "" {
				idPart = `"id":"` + id + `",`
			}
			return `{"resourceType":"Condition",` + idPart + `"subject":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"` + code + `"}]}}`
		}
		id := create(t, c, "Condition", cond("", "195967001"))
		allergy := create(t, c, "AllergyIntolerance", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/p1"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"764146007"}]}}`)
		jsonPatch := `[{"op":"replace","path":"/code/coding/0/code","value":"10509002"}]`
		fhirPatch := `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Condition.code.coding[0].code"},{"name":"value","valueCode":"10509002"}]}]}`
		version := func(typ, id string) string {
			t.Helper()
			return c.do("GET", "/fhir/"+typ+"/"+id, "").header.Get("ETag")
		}

		// Alone: the same answer as a PUT of the patched Condition.
		put := c.do("PUT", "/fhir/Condition/"+id, cond(id, "10509002"))
		if put.status != 400 || !strings.Contains(string(put.body), `"expression":["Condition.code.coding[0].code"]`) {
			t.Fatalf("PUT with an unknown concept: %d %s", put.status, put.body)
		}
		for _, tc := range []struct{ name, path, body, contentType string }{
			{"JSON Patch", "/fhir/Condition/" + id, jsonPatch, "application/json-patch+json"},
			{"FHIRPath Patch", "/fhir/Condition/" + id, fhirPatch, "application/fhir+json"},
			{"conditional patch", "/fhir/Condition?_id=" + id, jsonPatch, "application/json-patch+json"},
		} {
			r := c.do("PATCH", tc.path, tc.body, "Content-Type", tc.contentType)
			if r.status != put.status || string(r.body) != string(put.body) {
				t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, put.status, put.body)
			}
		}
		r := c.do("PATCH", "/fhir/AllergyIntolerance/"+allergy, `[{"op":"add","path":"/reaction","value":[{"manifestation":[{"coding":[{"system":"http://snomed.info/sct","code":"10509002"}]}]}]}]`, "Content-Type", "application/json-patch+json")
		if r.status != 400 || !strings.Contains(string(r.body), `"expression":["AllergyIntolerance.reaction[0].manifestation[0].coding[0].code"]`) {
			t.Errorf("a patch adding an unknown reaction: %d %s", r.status, r.body)
		}
		if v := version("Condition", id) + version("AllergyIntolerance", allergy); v != `W/"1"W/"1"` {
			t.Errorf("the refused patches wrote versions: %s", v)
		}

		// In a Bundle: a transaction is refused whole, a batch's entry alone.
		binary := `{"resourceType":"Binary","contentType":"application/json-patch+json","data":"` + base64.StdEncoding.EncodeToString([]byte(jsonPatch)) + `"}`
		entries := `[{"resource":` + binary + `,"request":{"method":"PATCH","url":"Condition/` + id + `"}},` +
			`{"resource":` + fhirPatch + `,"request":{"method":"PATCH","url":"Condition/` + id + `"}},` +
			`{"resource":` + cond("", "195967001") + `,"request":{"method":"POST","url":"Condition"}}]`
		r = c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":`+entries+`}`)
		if r.status != 400 || !strings.Contains(string(r.body), `"code":"code-invalid"`) || !strings.Contains(string(r.body), `"expression":["Condition.code.coding[0].code"]`) {
			t.Errorf("a transaction patching in an unknown concept: %d %s, want 400", r.status, r.body)
		}
		if n := len(matches(t, c, "Condition")); n != 1 {
			t.Errorf("after the refused transaction there are %d Conditions, want 1", n)
		}
		r = c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":`+entries+`}`)
		got := entryResponses(t, r)
		if r.status != 200 || got[0]["status"] != "400 Bad Request" || got[1]["status"] != "400 Bad Request" || got[2]["status"] != "201 Created" {
			t.Errorf("batch: %d %s, want 400, 400, 201", r.status, r.body)
		}
		if v := version("Condition", id); v != `W/"1"` {
			t.Errorf("the batch's refused patches wrote version %s", v)
		}

		// A known concept is taken.
		r = c.do("PATCH", "/fhir/Condition/"+id, strings.ReplaceAll(fhirPatch, "10509002", "195967001"), "Content-Type", "application/fhir+json")
		if r.status != 200 {
			t.Errorf("a patch to a known concept: %d %s", r.status, r.body)
		}
	})
}
