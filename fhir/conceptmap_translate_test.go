package fhir_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// labMap maps a laboratory's local test codes to LOINC, as an interface
// analyst loads one: sodium equivalent, a panel wider, a retired code
// unmatched, and codes it does not list to a fixed code.
const labMap = `{"resourceType":"ConceptMap","url":"https://trust.example.nhs.uk/fhir/ConceptMap/lab-loinc","version":"2","status":"active",
 "sourceUri":"https://trust.example.nhs.uk/fhir/ValueSet/lab-local","targetUri":"http://loinc.org/vs",
 "group":[{"source":"https://trust.example.nhs.uk/lab","target":"http://loinc.org","element":[
  {"code":"NA","display":"Sodium","target":[{"code":"2951-2","display":"Sodium [Moles/volume] in Serum or Plasma","equivalence":"equivalent"}]},
  {"code":"UE","display":"U&E","target":[{"code":"24326-1","display":"Electrolytes 1998 panel - Serum or Plasma","equivalence":"wider"}]},
  {"code":"OLDK","display":"Potassium (old method)","target":[{"equivalence":"unmatched"}]}],
  "unmapped":{"mode":"fixed","code":"LP29693-0","display":"Laboratory"}}]}`

// TestConceptMapTranslate: $translate maps a code through the trust's
// ConceptMaps: by the map's url, its id, one POSTed, or any map from the
// code's system; targetsystem and the value sets narrow the maps read;
// reverse reads a map back; a code a group does not list takes its
// unmapped; what maps nowhere answers false with a message; bad input is
// refused naming what was wrong.
func TestConceptMapTranslate(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := create(t, c, "ConceptMap", labMap)
		type match struct{ equivalence, concept, source string }
		translate := func(method, path, body string) (bool, string, []match) {
			t.Helper()
			r := c.do(method, path, body)
			if r.status != 200 {
				t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
			}
			var out struct {
				Parameter []struct {
					Name         string
					ValueBoolean *bool
					ValueString  string
					Part         []struct {
						Name        string
						ValueCode   string
						ValueUri    string
						ValueCoding struct{ System, Code string }
					}
				}
			}
			if err := json.Unmarshal(r.body, &out); err != nil {
				t.Fatal(err)
			}
			result, message := false, ""
			var ms []match
			for _, p := range out.Parameter {
				switch p.Name {
				case "result":
					result = *p.ValueBoolean
				case "message":
					message = p.ValueString
				case "match":
					var m match
					for _, part := range p.Part {
						switch part.Name {
						case "equivalence":
							m.equivalence = part.ValueCode
						case "concept":
							m.concept = part.ValueCoding.System + "|" + part.ValueCoding.Code
						case "source":
							m.source = part.ValueUri
						}
					}
					ms = append(ms, m)
				}
			}
			return result, message, ms
		}
		const lab, loinc = "https://trust.example.nhs.uk/lab", "http://loinc.org"
		mapURL := "https://trust.example.nhs.uk/fhir/ConceptMap/lab-loinc"
		q := func(kv ...string) string {
			v := url.Values{}
			for i := 0; i < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return v.Encode()
		}
		for _, tc := range []struct {
			path   string
			result bool
			want   []match
		}{
			{"/fhir/ConceptMap/$translate?" + q("url", mapURL, "system", lab, "code", "NA"), true, []match{{"equivalent", loinc + "|2951-2", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("url", mapURL+"|2", "system", lab, "code", "UE"), true, []match{{"wider", loinc + "|24326-1", mapURL}}},
			{"/fhir/ConceptMap/" + id + "/$translate?" + q("system", lab, "code", "NA"), true, []match{{"equivalent", loinc + "|2951-2", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "NA"), true, []match{{"equivalent", loinc + "|2951-2", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "NA", "targetsystem", loinc), true, []match{{"equivalent", loinc + "|2951-2", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "NA", "targetsystem", "http://snomed.info/sct"), false, nil},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "NA", "source", "https://trust.example.nhs.uk/fhir/ValueSet/lab-local", "target", "http://loinc.org/vs"), true, []match{{"equivalent", loinc + "|2951-2", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "NA", "target", "http://example.org/other"), false, nil},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "OLDK"), false, []match{{"unmatched", loinc + "|", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "ZZZ"), true, []match{{"inexact", loinc + "|LP29693-0", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("system", loinc, "code", "24326-1", "reverse", "true"), true, []match{{"narrower", lab + "|UE", mapURL}}},
			{"/fhir/ConceptMap/$translate?" + q("system", loinc, "code", "9999-9", "reverse", "true"), false, nil},
			{"/fhir/ConceptMap/$translate?" + q("system", "http://example.org/none", "code", "NA"), false, nil},
		} {
			result, message, got := translate("GET", tc.path, "")
			if result != tc.result || !slices.Equal(got, tc.want) {
				t.Errorf("%s: result %v %v, want %v %v", tc.path, result, got, tc.result, tc.want)
			}
			if !result && !strings.Contains(message, "no mapping") {
				t.Errorf("%s: false with message %q, want one saying no mapping", tc.path, message)
			}
		}
		// POSTed: a coding, and a map of the request's own.
		result, _, got := translate("POST", "/fhir/ConceptMap/$translate", `{"resourceType":"Parameters","parameter":[
			{"name":"coding","valueCoding":{"system":"`+lab+`","code":"UE"}}]}`)
		if !result || len(got) != 1 || got[0].concept != loinc+"|24326-1" {
			t.Errorf("POST with a coding: %v %v", result, got)
		}
		own := strings.ReplaceAll(strings.ReplaceAll(labMap, "2951-2", "2951-X"), "\n", " ")
		result, _, got = translate("POST", "/fhir/ConceptMap/$translate", fmt.Sprintf(`{"resourceType":"Parameters","parameter":[
			{"name":"conceptMap","resource":%s},{"name":"system","valueUri":%q},{"name":"code","valueCode":"NA"}]}`, own, lab))
		if !result || len(got) != 1 || got[0].concept != loinc+"|2951-X" {
			t.Errorf("POST with a conceptMap: %v %v", result, got)
		}
		// In a batch, as a read.
		r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"ConceptMap/$translate?`+q("system", lab, "code", "NA")+`"}}]}`)
		if r.status != 200 || !strings.Contains(string(r.body), "2951-2") {
			t.Errorf("$translate in a batch: %d %.400s", r.status, r.body)
		}
		for _, bad := range []struct {
			path   string
			status int
			says   string
		}{
			{"/fhir/ConceptMap/$translate?" + q("system", lab), 400, "code"},
			{"/fhir/ConceptMap/$translate?" + q("code", "NA"), 400, "system"},
			{"/fhir/ConceptMap/$translate?" + q("url", "https://example.org/no-map", "system", lab, "code", "NA"), 404, "no-map"},
			{"/fhir/ConceptMap/$translate?" + q("system", lab, "code", "NA", "reverse", "perhaps"), 400, "reverse"},
			{"/fhir/ConceptMap/no-such-map/$translate?" + q("system", lab, "code", "NA"), 404, "no-such-map"},
		} {
			r := c.do("GET", bad.path, "")
			if r.status != bad.status || !isOutcome(r) || !strings.Contains(string(r.body), bad.says) {
				t.Errorf("%s: %d %.300s, want %d naming %s", bad.path, r.status, r.body, bad.status, bad.says)
			}
		}
		meta := c.do("GET", "/fhir/metadata", "")
		if !strings.Contains(string(meta.body), "ConceptMap-translate") {
			t.Error("the CapabilityStatement lists no $translate")
		}
	})
}
