package fhir_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// nextLink is the url of a Bundle's next link, "" when it has none.
func nextLink(m map[string]any) string {
	links, _ := m["link"].([]any)
	for _, l := range links {
		if l := l.(map[string]any); l["relation"] == "next" {
			return l["url"].(string)
		}
	}
	return ""
}

// hypertension records n Conditions of Patient/p1.
func hypertension(t *testing.T, c *client, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"}}`)
	}
}

// annWithPulses registers Ann Smith (NHS number 9990000018, born
// 1970-05-01) with two heart rates, and returns her id.
func annWithPulses(t *testing.T, c *client) string {
	t.Helper()
	pid := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Smith","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
	for _, v := range []string{"70", "72"} {
		create(t, c, "Observation", fmt.Sprintf(observation, pid, "2026-03-02T08:30:00Z", v))
	}
	return pid
}

// TestSearchCountZero: _count=0 asks for the number of matches and no
// resources, from the resource store and from the typed core alike, with
// no next link to follow.
func TestSearchCountZero(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := annWithPulses(t, c)
		for _, tc := range []struct{ path, total string }{
			{"/fhir/Observation?_count=0", "2"},
			{"/fhir/Observation?subject=Patient/" + pid + "&_count=0&_include=Observation:subject", "2"},
			{"/fhir/Patient?family=smith&_count=0", "1"},
		} {
			t.Run(tc.path, func(t *testing.T) {
				r := c.do("GET", tc.path, "")
				if r.status != 200 {
					t.Fatalf("status %d: %s, want 200", r.status, r.body)
				}
				m := r.json(t)
				if fmt.Sprint(m["total"]) != tc.total || m["entry"] != nil || nextLink(m) != "" {
					t.Errorf("got total %v, entries %v, next %q; want total %s, no entries, no next link", m["total"], m["entry"], nextLink(m), tc.total)
				}
			})
		}
	})
}

// TestPreferReturn: a create, update or patch answers the body Prefer:
// return= asks for (none, an OperationOutcome, or the resource) with
// the same status, Location, ETag and Last-Modified.
func TestPreferReturn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		const cond = `{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"code":{"text":"Hypertension"}}`
		for _, tc := range []struct{ prefer, want string }{
			{"return=minimal", ""},
			{"return=OperationOutcome", `"resourceType":"OperationOutcome"`},
			{"return=representation", `"resourceType":"Condition"`},
			{"", `"resourceType":"Condition"`},
		} {
			t.Run(tc.prefer, func(t *testing.T) {
				var h []string
				if tc.prefer != "" {
					h = []string{"Prefer", tc.prefer}
				}
				r := c.do("POST", "/fhir/Condition", cond, h...)
				if r.status != 201 || r.header.Get("Location") == "" || r.header.Get("ETag") != `W/"1"` || r.header.Get("Last-Modified") == "" {
					t.Fatalf("create: %d Location %q ETag %q Last-Modified %q, want 201 with all three", r.status, r.header.Get("Location"), r.header.Get("ETag"), r.header.Get("Last-Modified"))
				}
				check := func(what string, r response) {
					t.Helper()
					if tc.want == "" && len(r.body) != 0 || tc.want != "" && !strings.Contains(string(r.body), tc.want) {
						t.Errorf("%s answered %s, want %q", what, r.body, tc.want)
					}
					// The answer says which it follows (RFC 7240).
					if got := r.header.Get("Preference-Applied"); got != tc.prefer {
						t.Errorf("%s: Preference-Applied %q, want %q", what, got, tc.prefer)
					}
				}
				check("create", r)
				id := strings.Split(strings.TrimPrefix(r.header.Get("Location"), f.base+"/fhir/Condition/"), "/")[0]
				r = c.do("PUT", "/fhir/Condition/"+id, strings.Replace(cond, `{"resourceType":"Condition",`, `{"resourceType":"Condition","id":"`+id+`",`, 1), h...)
				if r.status != 200 || r.header.Get("ETag") != `W/"2"` {
					t.Fatalf("update: %d ETag %q, want 200 W/\"2\"", r.status, r.header.Get("ETag"))
				}
				check("update", r)
				r = c.do("PATCH", "/fhir/Condition/"+id, `[{"op":"add","path":"/note","value":[{"text":"n"}]}]`, append([]string{"Content-Type", "application/json-patch+json"}, h...)...)
				if r.status != 200 || r.header.Get("ETag") != `W/"3"` {
					t.Fatalf("patch: %d ETag %q, want 200 W/\"3\"", r.status, r.header.Get("ETag"))
				}
				check("patch", r)
			})
		}
	})
}

// TestConditionalRead: a read with If-None-Match naming the current
// version, or If-Modified-Since no earlier than its last update, answers
// 304 with no body; otherwise the resource.
func TestConditionalRead(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := create(t, c, "Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}`)
		path := "/fhir/Condition/" + id
		modified := c.do("GET", path, "").header.Get("Last-Modified")
		before := clock.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
		for _, tc := range []struct {
			header, value string
			status        int
		}{
			{"If-None-Match", `W/"1"`, 304},
			{"If-None-Match", `"1"`, 304},
			{"If-None-Match", `W/"2"`, 200},
			{"If-None-Match", `*`, 304},
			{"If-Modified-Since", modified, 304},
			{"If-Modified-Since", before, 200},
		} {
			r := c.do("GET", path, "", tc.header, tc.value)
			if r.status != tc.status || tc.status == 304 && (len(r.body) != 0 || r.header.Get("ETag") != `W/"1"`) {
				t.Errorf("%s: %s answered %d ETag %q %s, want %d", tc.header, tc.value, r.status, r.header.Get("ETag"), r.body, tc.status)
			}
		}
	})
}

// TestFormats: FHIR JSON is served for every way of asking for it, FHIR
// XML for every way of asking for that (and for an Accept that prefers
// it); a request that asks only for another format gets 406 with an
// OperationOutcome. One that names the format by its generic type
// (application/json, text/json, application/xml, text/xml) and not by
// FHIR's own gets that type back, an error's OperationOutcome too.
func TestFormats(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := create(t, c, "Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}`)
		const jsonType, xmlType = "application/fhir+json; charset=utf-8", "application/fhir+xml; charset=utf-8"
		const plainJSON, plainXML = "application/json; charset=utf-8", "application/xml; charset=utf-8"
		for _, tc := range []struct {
			path, accept string
			status       int
			contentType  string
		}{
			{"/fhir/Condition/" + id, "application/fhir+json", 200, jsonType},
			{"/fhir/Condition/" + id, "application/json", 200, plainJSON},
			{"/fhir/Condition/" + id, "text/json", 200, "text/json; charset=utf-8"},
			{"/fhir/Condition/" + id, "application/json, application/fhir+json", 200, jsonType},
			{"/fhir/Condition/" + id, "application/json, */*", 200, plainJSON},
			{"/fhir/Condition/" + id + "?_pretty=true", "application/json", 200, plainJSON},
			{"/fhir/Condition/" + id + "/_history/1", "application/json", 200, plainJSON},
			{"/fhir/Condition?_id=" + id, "application/json", 200, plainJSON},
			{"/fhir/Condition/nosuch", "application/json", 404, plainJSON},
			{"/fhir/Condition/" + id + "?_format=application/json", "", 200, plainJSON},
			{"/fhir/Condition/" + id + "?_format=json", "application/json", 200, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+json; fhirVersion=4.0", 200, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+json; fhirVersion=4.0.1", 200, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+json; fhirVersion=3.0", 406, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+json; fhirVersion=3.0, application/fhir+xml; fhirVersion=4.0", 200, xmlType},
			{"/fhir/Condition/" + id + "?_format=application/fhir%2Bjson%3BfhirVersion=4.0", "", 200, jsonType},
			{"/fhir/Condition/" + id + "?_format=application/fhir%2Bjson%3BfhirVersion=5.0", "", 406, jsonType},
			{"/fhir/Condition/" + id, "*/*", 200, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+xml;q=0.9, application/fhir+json", 200, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+xml, */*", 200, xmlType},
			{"/fhir/Condition/" + id, "application/fhir+xml;q=0.5, */*", 200, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+xml, application/fhir+json", 200, jsonType},
			{"/fhir/Condition/" + id, "application/fhir+xml;q=1.0, application/fhir+json;q=0.9", 200, xmlType},
			{"/fhir/Condition/" + id, "application/fhir+xml", 200, xmlType},
			{"/fhir/Condition/" + id, "application/xml", 200, plainXML},
			{"/fhir/Condition/" + id, "text/xml", 200, "text/xml; charset=utf-8"},
			{"/fhir/Condition/" + id, "application/xml, application/fhir+xml", 200, xmlType},
			{"/fhir/Condition/" + id, "text/html", 406, jsonType},
			{"/fhir/Condition/" + id + "?_format=json", "", 200, jsonType},
			{"/fhir/Condition/" + id + "?_format=application/fhir%2Bjson", "", 200, jsonType},
			{"/fhir/Condition/" + id + "?_format=application/fhir+json", "", 200, jsonType},
			{"/fhir/Condition/" + id + "?_format=json", "application/fhir+xml", 200, jsonType},
			{"/fhir/Condition/" + id + "?_format=xml", "", 200, xmlType},
			{"/fhir/Condition/" + id + "?_format=application/fhir%2Bxml", "", 200, xmlType},
			{"/fhir/Condition/" + id + "?_format=application/fhir+xml", "", 200, xmlType},
			{"/fhir/Condition/" + id + "?_format=application/xml", "", 200, plainXML},
			{"/fhir/Condition/" + id + "?_format=text/html", "", 406, jsonType},
			{"/fhir/Condition?_format=xml", "", 200, xmlType},
			{"/fhir/metadata?_format=xml", "", 200, xmlType},
			{"/fhir/metadata", "application/fhir+xml", 200, xmlType},
			{"/fhir/metadata?_format=json", "", 200, jsonType},
		} {
			var h []string
			if tc.accept != "" {
				h = []string{"Accept", tc.accept}
			}
			r := c.do("GET", tc.path, "", h...)
			if r.status != tc.status || r.header.Get("Content-Type") != tc.contentType || tc.status >= 400 && !isOutcome(r) {
				t.Errorf("GET %s Accept %q: %d %s %s, want %d %s", tc.path, tc.accept, r.status, r.header.Get("Content-Type"), r.body, tc.status, tc.contentType)
			}
		}
		// A body sent as another FHIR version is refused 415 and nothing
		// is written; one sent as R4, or naming no version, is taken.
		const cond = `{"resourceType":"Condition","code":{"text":"Versioned"},"subject":{"reference":"Patient/p1"}}`
		for _, tc := range []struct {
			contentType string
			status      int
		}{
			{"application/fhir+json; fhirVersion=5.0", 415},
			{"application/fhir+json;fhirVersion=3.0", 415},
			{"application/fhir+json; fhirVersion=4.0", 201},
			{"application/fhir+json; fhirVersion=4.0.1", 201},
			{"application/fhir+json", 201},
		} {
			r := c.do("POST", "/fhir/Condition", cond, "Content-Type", tc.contentType)
			if r.status != tc.status || tc.status >= 400 && !isOutcome(r) {
				t.Errorf("POST Content-Type %q: %d %s, want %d", tc.contentType, r.status, r.body, tc.status)
			}
		}
		if r := c.do("GET", "/fhir/Condition?code:text=Versioned&_summary=count", ""); !strings.Contains(string(r.body), `"total":3`) {
			t.Errorf("Conditions written: %s, want the three sent as R4", r.body)
		}
	})
}

// TestMethodNotAllowed: a method no interaction serves on a path others
// serve is answered 405 with the methods that are served in Allow and
// an OperationOutcome; a path nothing serves, or a type R4 does not
// have, 404.
func TestMethodNotAllowed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := create(t, c, "Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}`)
		for _, tc := range []struct {
			method, path string
			status       int
			allow        string
		}{
			{"POST", "/fhir/Condition/" + id, 405, "GET, PUT, DELETE, PATCH"},
			{"DELETE", "/fhir/metadata", 405, "GET"},
			{"PUT", "/fhir/metadata", 405, "GET"},
			{"PUT", "/fhir/_history", 405, "GET"},
			{"DELETE", "/fhir/Condition/" + id + "/_history/1", 405, "GET"},
			{"POST", "/fhir/Nosuch/1", 404, ""},
			{"GET", "/fhir/Condition/" + id + "/_history/1/more", 404, ""},
			{"GET", "/fhir/metadata", 200, ""},
		} {
			r := c.do(tc.method, tc.path, "")
			if r.status != tc.status || r.header.Get("Allow") != tc.allow || tc.status >= 400 && !isOutcome(r) {
				t.Errorf("%s %s: %d Allow %q %s, want %d Allow %q", tc.method, tc.path, r.status, r.header.Get("Allow"), r.body, tc.status, tc.allow)
			}
		}
	})
}

// TestSyntheaProviders loads providers as Synthea's transaction bundles
// send them apart from its patients (exporter.fhir.transaction_bundle):
// Organization and Location with ifNoneExist, then a patient bundle
// that refers to them by conditional references. The typed core serves
// the trust's own locations, organisations and practitioners; what
// other systems send is kept beside them, read and searched by every
// parameter.
func TestSyntheaProviders(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		const org = `{"resourceType":"Organization","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"org-1"}],"name":"PLYMOUTH HOSPITAL","address":[{"city":"PLYMOUTH","state":"MA","country":"US"}]}`
		const loc = `{"resourceType":"Location","identifier":[{"system":"https://github.com/synthetichealth/synthea","value":"loc-1"}],"status":"active","name":"PLYMOUTH HOSPITAL","address":{"city":"PLYMOUTH","state":"MA","country":"US"},"managingOrganization":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|org-1"}}`
		const prac = `{"resourceType":"Practitioner","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"9999999779"}],"name":[{"family":"Jacobson885","given":["Ingrid581"]}]}`
		hospital := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000001","resource":` + org + `,"request":{"method":"POST","url":"Organization","ifNoneExist":"identifier=https://github.com/synthetichealth/synthea|org-1"}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000002","resource":` + prac + `,"request":{"method":"POST","url":"Practitioner","ifNoneExist":"identifier=http://hl7.org/fhir/sid/us-npi|9999999779"}}]}`
		if r := c.do("POST", "/fhir", hospital); r.status != 200 {
			t.Fatalf("organisation and practitioner: %d %s", r.status, r.body)
		}
		locations := `{"resourceType":"Bundle","type":"batch","entry":[
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000003","resource":` + loc + `,"request":{"method":"POST","url":"Location","ifNoneExist":"identifier=https://github.com/synthetichealth/synthea|loc-1"}}]}`
		for i, want := range []string{"201 Created", "200 OK"} { // the second finds the first
			r := c.do("POST", "/fhir", locations)
			if got := fmt.Sprint(r.json(t)["entry"].([]any)[0].(map[string]any)["response"].(map[string]any)["status"]); r.status != 200 || got != want {
				t.Fatalf("location, time %d: %d %s, want entry status %s", i+1, r.status, r.body, want)
			}
		}
		patient := `{"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000010","resource":{"resourceType":"Patient","name":[{"family":"Heller342","given":["Shanelle829"]}],"gender":"female","birthDate":"1961-02-14"},"request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"urn:uuid:00000000-0000-4000-8000-000000000011","resource":{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
  "subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000010"},
  "participant":[{"individual":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999999779"}}],
  "location":[{"location":{"reference":"Location?identifier=https://github.com/synthetichealth/synthea|loc-1"}}],
  "serviceProvider":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|org-1"}},"request":{"method":"POST","url":"Encounter"}}]}`
		r := c.do("POST", "/fhir", patient)
		if r.status != 200 {
			t.Fatalf("patient bundle: %d %s", r.status, r.body)
		}
		encID := strings.Split(r.json(t)["entry"].([]any)[1].(map[string]any)["response"].(map[string]any)["location"].(string), "/")[1]
		enc := c.do("GET", "/fhir/Encounter/"+encID, "").json(t)
		locRef := enc["location"].([]any)[0].(map[string]any)["location"].(map[string]any)["reference"].(string)
		if !strings.HasPrefix(locRef, "Location/") {
			t.Fatalf("the encounter's location is %q, want Location/[id]", locRef)
		}
		if r := c.do("GET", "/fhir/"+locRef, ""); r.status != 200 || !strings.Contains(string(r.body), "PLYMOUTH HOSPITAL") {
			t.Errorf("read %s: %d %s", locRef, r.status, r.body)
		}
		for _, tc := range []struct {
			query string
			want  int
		}{
			{"Location?identifier=https://github.com/synthetichealth/synthea|loc-1", 1},
			{"Location?address-city=PLYMOUTH", 1},
			{"Location?name=PLYMOUTH", 1},
			{"Organization?name=PLYMOUTH", 1},
			{"Organization?address-city=PLYMOUTH", 1},
			{"Practitioner?name=Jacobson885", 1},
			{"Practitioner?family=Jacobson885&given=Ingrid581", 1},
			{"Encounter?location=" + locRef, 1},
			{"Encounter?_id=" + encID + "&_include=Encounter:location", 2},
		} {
			r := c.do("GET", "/fhir/"+tc.query, "")
			if r.status != 200 {
				t.Errorf("%s: %d %s", tc.query, r.status, r.body)
				continue
			}
			if es, _ := r.json(t)["entry"].([]any); len(es) != tc.want {
				t.Errorf("%s: %d entries, want %d: %s", tc.query, len(es), tc.want, r.body)
			}
		}
	})
}

// TestSummary: _summary=true, text, data and false on a search and a
// read cut each resource to the elements R4 says, tagged SUBSETTED.
func TestSummary(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := create(t, c, "Condition", `{"resourceType":"Condition","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Hypertension</div>"},
 "code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"},"note":[{"text":"a note"}]}`)
		for _, tc := range []struct {
			summary    string
			has, hasnt []string
		}{
			{"true", []string{"code", "subject", "SUBSETTED"}, []string{"note", "text"}},
			{"text", []string{"text", "subject", "SUBSETTED"}, []string{"note", "code"}},
			{"data", []string{"code", "subject", "note", "SUBSETTED"}, []string{"text"}},
			{"false", []string{"code", "subject", "note", "text"}, []string{"SUBSETTED"}},
		} {
			for _, path := range []string{"/fhir/Condition?_id=" + id + "&_summary=" + tc.summary, "/fhir/Condition/" + id + "?_summary=" + tc.summary} {
				r := c.do("GET", path, "")
				if r.status != 200 {
					t.Errorf("%s: %d %s", path, r.status, r.body)
					continue
				}
				m := r.json(t)
				if m["resourceType"] == "Bundle" {
					es, _ := m["entry"].([]any)
					if len(es) != 1 {
						t.Errorf("%s: %d entries, want 1", path, len(es))
						continue
					}
					m = es[0].(map[string]any)["resource"].(map[string]any)
				}
				body := fmt.Sprint(m)
				for _, k := range tc.has {
					if _, ok := m[k]; !ok && !strings.Contains(body, k) {
						t.Errorf("%s: no %s in %s", path, k, body)
					}
				}
				for _, k := range tc.hasnt {
					if _, ok := m[k]; ok || k == "SUBSETTED" && strings.Contains(body, k) {
						t.Errorf("%s: %s in %s", path, k, body)
					}
				}
			}
		}
		// A part keeps the elements every resource of its type has (an
		// Observation's status and code; a Provenance's agent, which R4
		// leaves out of the summary), so that it is still valid R4, and
		// claims no profile, which a part need not conform to.
		obs := create(t, c, "Observation", `{"resourceType":"Observation","meta":{"profile":["http://hl7.org/fhir/StructureDefinition/heartrate"]},"status":"final",
 "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
 "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-01-01T10:00:00Z",
 "valueQuantity":{"value":72,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"}}`)
		prov := create(t, c, "Provenance", `{"resourceType":"Provenance","target":[{"reference":"Observation/`+obs+`"}],"recorded":"2024-01-01T10:00:00Z","agent":[{"who":{"display":"a system"}}]}`)
		for _, tc := range []struct {
			path       string
			has, hasnt []string
		}{
			{"/fhir/Observation?_id=" + obs + "&_elements=subject", []string{"subject", "status", "code", "SUBSETTED"}, []string{"valueQuantity", "category", "heartrate"}},
			{"/fhir/Observation/" + obs + "?_elements=subject", []string{"subject", "status", "code", "SUBSETTED"}, []string{"valueQuantity", "heartrate"}},
			{"/fhir/Observation?_id=" + obs + "&_summary=true", []string{"status", "code", "valueQuantity", "SUBSETTED"}, []string{"category", "heartrate"}},
			{"/fhir/Observation?_id=" + obs, []string{"category", "heartrate"}, []string{"SUBSETTED"}},
			{"/fhir/Provenance?_id=" + prov + "&_summary=true", []string{"agent", "target", "recorded", "SUBSETTED"}, nil},
		} {
			m := c.do("GET", tc.path, "").json(t)
			if m["resourceType"] == "Bundle" {
				es, _ := m["entry"].([]any)
				if len(es) != 1 {
					t.Errorf("%s: %d entries, want 1", tc.path, len(es))
					continue
				}
				m = es[0].(map[string]any)["resource"].(map[string]any)
			}
			body := fmt.Sprint(m)
			for _, k := range tc.has {
				if _, ok := m[k]; !ok && !strings.Contains(body, k) {
					t.Errorf("%s: no %s in %s", tc.path, k, body)
				}
			}
			for _, k := range tc.hasnt {
				if _, ok := m[k]; ok || strings.Contains(body, k) {
					t.Errorf("%s: %s in %s", tc.path, k, body)
				}
			}
		}
		for _, path := range []string{"/fhir/Condition?_summary=maybe", "/fhir/Condition/" + id + "?_summary=maybe", "/fhir/Condition/" + id + "?_summary=count"} {
			if r := c.do("GET", path, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 400", path, r.status, r.body)
			}
		}
	})
}

// TestSummaryTextIncludes: _summary=text cannot be mixed with _include
// or _revinclude (R4 search.html#summary), in a search of a type, of a
// compartment or of the system: refused with 400, naming _summary. Each
// alone, and _summary=data with them, is answered.
func TestSummaryTextIncludes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Text"}]}`)
		create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/`+pid+`"}}`)
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/fhir/Condition?_summary=text&_include=Condition:subject", 400},
			{"/fhir/Condition?_include=Condition:subject&_summary=text", 400},
			{"/fhir/Condition?_summary=text&_include:iterate=Condition:subject", 400},
			{"/fhir/Patient?_summary=text&_revinclude=Condition:subject", 400},
			{"/fhir/Patient?_summary=text&_revinclude=*", 400},
			{"/fhir/Patient/" + pid + "/Condition?_summary=text&_include=Condition:subject", 400},
			{"/fhir?_type=Condition&_summary=text&_include=Condition:subject", 400},
			{"/fhir/Condition?_summary=text", 200},
			{"/fhir/Condition?_include=Condition:subject", 200},
			{"/fhir/Condition?_summary=data&_include=Condition:subject", 200},
			{"/fhir/Patient?_summary=true&_revinclude=Condition:subject", 200},
		} {
			r := c.do("GET", tc.path, "")
			if r.status != tc.status {
				t.Errorf("%s: %d %s, want %d", tc.path, r.status, r.body, tc.status)
				continue
			}
			if tc.status == 400 && (!isOutcome(r) || !strings.Contains(string(r.body), `"expression":["_summary"]`)) {
				t.Errorf("%s: %s, want an OperationOutcome naming _summary", tc.path, r.body)
			}
		}
		// The same parameters in a POST _search.
		r := c.do("POST", "/fhir/Condition/_search", "_summary=text&_include=Condition:subject", "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 400 || !isOutcome(r) {
			t.Errorf("POST _search: %d %s, want 400", r.status, r.body)
		}
	})
}

// TestCapabilityStatementSummary: GET metadata?_summary=true answers
// the CapabilityStatement cut to the elements R4 marks as its summary,
// at every depth (the server, its software and formats, the rest's
// mode and security, each resource's type, profiles and operations; not
// each resource's interactions and search parameters, nor any
// documentation), tagged SUBSETTED, with its own ETag; _elements cuts
// it to the elements named, with those every CapabilityStatement has,
// as a read of a resource is cut; _summary=false is the whole
// statement.
func TestCapabilityStatementSummary(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		full := c.do("GET", "/fhir/metadata", "")
		if full.status != 200 {
			t.Fatalf("metadata: %d %.300s", full.status, full.body)
		}
		subsetted := `{"code":"SUBSETTED","system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue"}`
		for _, tc := range []struct {
			query      string
			has, hasnt []string
		}{
			{"_summary=true", []string{"status", "date", "kind", "software", "implementation", "fhirVersion", "format", "patchFormat", "rest"}, nil},
			{"_elements=software", []string{"software", "status", "date", "kind", "fhirVersion", "format"}, []string{"rest", "implementation", "patchFormat"}},
			{"_summary=data", []string{"rest", "software"}, nil},
		} {
			r := c.do("GET", "/fhir/metadata?"+tc.query, "")
			if r.status != 200 {
				t.Errorf("%s: %d %.300s", tc.query, r.status, r.body)
				continue
			}
			m := r.json(t)
			if m["resourceType"] != "CapabilityStatement" || !strings.Contains(string(r.body), subsetted) {
				t.Errorf("%s: %.300s, want a CapabilityStatement tagged SUBSETTED", tc.query, r.body)
			}
			for _, k := range tc.has {
				if _, ok := m[k]; !ok {
					t.Errorf("%s: no %s in %.300s", tc.query, k, r.body)
				}
			}
			for _, k := range tc.hasnt {
				if _, ok := m[k]; ok {
					t.Errorf("%s: %s in %.300s", tc.query, k, r.body)
				}
			}
			if tc.query == "_summary=true" {
				if len(r.body)*10 > len(full.body) {
					t.Errorf("%s: %d bytes of the whole statement's %d", tc.query, len(r.body), len(full.body))
				}
				rest := m["rest"].([]any)[0].(map[string]any)
				if _, ok := rest["mode"]; !ok {
					t.Errorf("%s: the rest has no mode: %.300v", tc.query, rest)
				}
				for _, k := range []string{"documentation", "interaction", "searchParam"} {
					if _, ok := rest[k]; ok {
						t.Errorf("%s: the rest has its %s", tc.query, k)
					}
				}
				for _, res := range rest["resource"].([]any) {
					res := res.(map[string]any)
					_, typed := res["type"]
					_, interactions := res["interaction"]
					_, params := res["searchParam"]
					if !typed || interactions || params {
						t.Errorf("%s: a resource of the rest is %.300v, want its type without interactions or search parameters", tc.query, res)
						break
					}
				}
			}
			if etag := r.header.Get("ETag"); etag == "" || etag == full.header.Get("ETag") {
				t.Errorf("%s: ETag %q, the whole statement's %q", tc.query, etag, full.header.Get("ETag"))
			}
		}
		if r := c.do("GET", "/fhir/metadata?_summary=false", ""); r.status != 200 || r.header.Get("ETag") != full.header.Get("ETag") || strings.Contains(string(r.body), subsetted) {
			t.Errorf("_summary=false: %d %s, want the whole statement", r.status, r.header.Get("ETag"))
		}
		for _, q := range []string{"_summary=maybe", "_summary=count", "_elements=colour"} {
			if r := c.do("GET", "/fhir/metadata?"+q, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %.300s, want 400", q, r.status, r.body)
			}
		}
	})
}

// TestSummaryAtEveryDepth: _summary=true cuts an element R4 defines
// inside the resource to its own summary elements (an Observation's
// component keeps its code and value, not its interpretation), and
// keeps a value of a data type whole (the value's unit), in a read and
// in a search.
func TestSummaryAtEveryDepth(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		id := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"BP"},
 "component":[{"code":{"text":"systolic"},"valueQuantity":{"value":150,"unit":"mmHg"},"interpretation":[{"text":"high"}]}]}`)
		for _, path := range []string{"/fhir/Observation/" + id + "?_summary=true", "/fhir/Observation?_id=" + id + "&_summary=true"} {
			m := c.do("GET", path, "").json(t)
			if m["resourceType"] == "Bundle" {
				m = m["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
			}
			comp, _ := m["component"].([]any)
			if len(comp) != 1 {
				t.Errorf("%s: component %v, want the one kept", path, m["component"])
				continue
			}
			got := fmt.Sprint(comp[0])
			if !strings.Contains(got, "systolic") || !strings.Contains(got, "mmHg") || strings.Contains(got, "high") {
				t.Errorf("%s: component %s, want its code and value whole, without its interpretation", path, got)
			}
		}
	})
}

// TestUnknownSearchParameter: a parameter the server does not know is
// left out of the search and its self link, and named in an outcome
// entry, unless Prefer: handling=strict asks for it to be refused. A
// known parameter's bad value or modifier is refused either way.
func TestUnknownSearchParameter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"}}`)
		r := c.do("GET", "/fhir/Condition?subject=Patient/p1&foo=bar&_query=x", "", "Prefer", "handling=lenient")
		if r.status != 200 {
			t.Fatalf("lenient: %d %s, want 200", r.status, r.body)
		}
		m := r.json(t)
		self := m["link"].([]any)[0].(map[string]any)["url"].(string)
		if es, _ := m["entry"].([]any); len(es) != 2 || strings.Contains(self, "foo") || strings.Contains(self, "_query") || !strings.Contains(self, "subject=") {
			t.Errorf("lenient: %d entries, self %s; want the match and the outcome, and the self link without foo and _query", len(es), self)
		}
		for _, path := range []string{"/fhir/Condition?code:frobnicate=x", "/fhir/Condition?onset-date=notadate", "/fhir/Condition?_count=x"} {
			if r := c.do("GET", path, "", "Prefer", "handling=lenient"); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s, lenient: %d %s, want 400", path, r.status, r.body)
			}
		}
		if r := c.do("GET", "/fhir/Condition?foo=bar", "", "Prefer", "handling=strict"); r.status != 400 || !isOutcome(r) {
			t.Errorf("unknown parameter, Prefer handling=strict: %d %s, want 400", r.status, r.body)
		}
		// Without a Prefer header the search is lenient, as R4 asks, and
		// its searchset names what it left out in an outcome entry.
		r = c.do("GET", "/fhir/Condition?subject=Patient/p1&foo=bar&_sort=nosuch", "")
		if r.status != 200 {
			t.Fatalf("unknown parameter, no Prefer: %d %s, want 200", r.status, r.body)
		}
		m = r.json(t)
		var matches int
		var warned []string
		for _, e := range m["entry"].([]any) {
			e := e.(map[string]any)
			switch mode := e["search"].(map[string]any)["mode"]; mode {
			case "match":
				matches++
			case "outcome":
				for _, is := range e["resource"].(map[string]any)["issue"].([]any) {
					is := is.(map[string]any)
					warned = append(warned, fmt.Sprint(is["severity"], " ", is["expression"]))
				}
			}
		}
		if want := []string{"warning [_sort=nosuch (sorted by none)]", "warning [foo]"}; matches != 1 || !slices.Equal(warned, want) || fmt.Sprint(m["total"]) != "1" {
			t.Errorf("unknown parameter, no Prefer: %d matches, total %v, outcome %q; want 1 match, total 1 and outcome %q", matches, m["total"], warned, want)
		}
		if self := linkOf(m, "self"); self != f.base+"/fhir/Condition?subject=Patient/p1" {
			t.Errorf("unknown parameter, no Prefer: self link %s, want the search without foo and _sort", self)
		}
		r = c.do("GET", "/fhir?_type=Condition&foo=bar", "")
		if es, _ := r.json(t)["entry"].([]any); r.status != 200 || len(es) != 2 {
			t.Errorf("every type, unknown parameter, no Prefer: %d, %d entries, want 200 with the match and the outcome: %s", r.status, len(es), r.body)
		}
	})
}

// TestContainedSearchParameters: R4's _contained and _containedType are
// taken at their defaults (false, container) in a search of the resource
// store, of the patient index, of a compartment and of every type; a
// search inside contained resources is left out, an outcome entry saying
// so, and refused as not supported when the client asks for strict
// handling.
func TestContainedSearchParameters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/p1"}}`)
		for _, path := range []string{
			"/fhir/Condition?subject=Patient/p1&_contained=false",
			"/fhir/Condition?subject=Patient/p1&_containedType=container&_contained=false",
			"/fhir/Patient?_contained=false&_count=5",
			"/fhir/Patient/p1/Condition?_contained=false",
			"/fhir/?_type=Condition&_contained=false",
		} {
			r := c.do("GET", path, "")
			if r.status != 200 {
				t.Errorf("%s: %d %s, want 200", path, r.status, r.body)
				continue
			}
			if strings.Contains(path, "Condition") {
				if es, _ := r.json(t)["entry"].([]any); len(es) != 1 {
					t.Errorf("%s: %d entries, want the one Condition", path, len(es))
				}
			}
		}
		for _, path := range []string{"/fhir/Condition?_contained=true", "/fhir/Condition?_contained=both", "/fhir/Condition?_containedType=contained",
			"/fhir/Patient?_contained=true", "/fhir/?_type=Condition&_contained=true", "/fhir/Condition?subject:Patient._contained=false"} {
			r := c.do("GET", path, "", "Prefer", "handling=strict")
			if r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 400", path, r.status, r.body)
			} else if code := r.json(t)["issue"].([]any)[0].(map[string]any)["code"]; !strings.Contains(path, ".") && code != "not-supported" {
				t.Errorf("%s: issue code %v, want not-supported", path, code)
			}
		}
		r := c.do("GET", "/fhir/Condition?subject=Patient/p1&_contained=true", "", "Prefer", "handling=lenient")
		if r.status != 200 {
			t.Fatalf("lenient: %d %s, want 200", r.status, r.body)
		}
		if es, _ := r.json(t)["entry"].([]any); len(es) != 2 {
			t.Errorf("lenient _contained=true: %d entries, want the match and the outcome", len(es))
		}
	})
}

// TestSelfLink: a searchset's self link is the page it holds: followed,
// it answers the same entries, on the first page and the next.
func TestSelfLink(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		hypertension(t, c, 5)
		ids := func(m map[string]any) string {
			var out []string
			es, _ := m["entry"].([]any)
			for _, e := range es {
				out = append(out, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			return strings.Join(out, ",")
		}
		for _, first := range []string{"/fhir/Condition?subject=Patient/p1&_count=2", "/fhir/Condition?subject=Patient/p1&_count=2&_sort=-_lastUpdated"} {
			page := c.do("GET", first, "").json(t)
			for n := 1; page != nil; n++ {
				self := page["link"].([]any)[0].(map[string]any)["url"].(string)
				if got := c.do("GET", self, "").json(t); ids(got) != ids(page) {
					t.Errorf("%s page %d: self link %s answers %s, want %s", first, n, self, ids(got), ids(page))
				}
				next := nextLink(page)
				page = nil
				if next != "" {
					page = c.do("GET", next, "").json(t)
				}
			}
		}
		// A link writes the commas, colons and slashes of its parameters
		// as they are: a reader splitting _type on its commas as written
		// reads the types searched.
		for q, want := range map[string]string{
			"/fhir?_type=Condition,Patient&_count=2":            "_type=Condition,Patient",
			"/fhir/Condition?subject=Patient/p1&_count=2":       "subject=Patient/p1",
			"/fhir/Condition?code:text=hyper,pressure&_count=2": "code:text=hyper,pressure",
			"/fhir/Condition/_history?_count=2":                 "_count=2",
		} {
			page := c.do("GET", q, "").json(t)
			for _, l := range page["link"].([]any) {
				if u := l.(map[string]any)["url"].(string); !strings.Contains(u, want) {
					t.Errorf("%s: %s link %s, want it to hold %s", q, l.(map[string]any)["relation"], u, want)
				}
			}
		}
	})
}

// TestBatchGET: a batch's GET entries are answered as the API answers
// the same GETs: a read (of the patient index too), a vread, a search,
// a history, and a read of nothing with its OperationOutcome; an entry's
// _format does not change the batch's own format.
func TestBatchGET(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Smith","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		cid := create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/`+pid+`"}}`)
		batch := `{"resourceType":"Bundle","type":"batch","entry":[
 {"request":{"method":"GET","url":"Patient/` + pid + `"}},
 {"request":{"method":"GET","url":"Condition/` + cid + `/_history/1"}},
 {"request":{"method":"GET","url":"Condition?subject=Patient/` + pid + `"}},
 {"request":{"method":"GET","url":"Condition/` + cid + `/_history"}},
 {"request":{"method":"GET","url":"Condition/nothing"}},
 {"request":{"method":"GET","url":"Condition/` + cid + `?_format=xml&_pretty=true"}}]}`
		r := c.do("POST", "/fhir", batch)
		if r.status != 200 {
			t.Fatalf("batch: %d %s", r.status, r.body)
		}
		entries := r.json(t)["entry"].([]any)
		want := []struct{ status, resource string }{{"200 OK", "Patient"}, {"200 OK", "Condition"}, {"200 OK", "Bundle"}, {"200 OK", "Bundle"}, {"404 Not Found", ""}, {"200 OK", "Condition"}}
		if len(entries) != len(want) {
			t.Fatalf("%d entries, want %d: %s", len(entries), len(want), r.body)
		}
		for i, w := range want {
			e := entries[i].(map[string]any)
			resp := e["response"].(map[string]any)
			res, _ := e["resource"].(map[string]any)
			got := ""
			if res != nil {
				got, _ = res["resourceType"].(string)
			}
			if resp["status"] != w.status || got != w.resource {
				t.Errorf("entry %d: %v %s, want %s %s", i, resp["status"], got, w.status, w.resource)
			}
			if w.status == "404 Not Found" && resp["outcome"] == nil {
				t.Errorf("entry %d: no OperationOutcome: %v", i, e)
			}
		}
		if n := len(entries[2].(map[string]any)["resource"].(map[string]any)["entry"].([]any)); n != 1 {
			t.Errorf("the search entry found %d, want 1", n)
		}
	})
}

// TestSearchTotal: _total=accurate (or estimate) gives a searchset its
// total, counted over every page; a _total that is not a mode is
// refused.
func TestSearchTotal(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		hypertension(t, c, 3)
		for _, mode := range []string{"accurate", "estimate"} {
			m := c.do("GET", "/fhir/Condition?subject=Patient/p1&_count=1&_total="+mode, "").json(t)
			if fmt.Sprint(m["total"]) != "3" || len(m["entry"].([]any)) != 1 {
				t.Errorf("_total=%s: total %v, %d entries; want 3 and 1", mode, m["total"], len(m["entry"].([]any)))
			}
		}
		if r := c.do("GET", "/fhir/Condition?_total=all", ""); r.status != 400 || !isOutcome(r) {
			t.Errorf("_total=all: %d %s, want 400", r.status, r.body)
		}
	})
}

// TestEverythingType: Patient/$everything with _type answers the
// patient's resources of the types listed, paged, and only those.
func TestEverythingType(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Ann"]}]}`)
		for i := 0; i < 3; i++ {
			create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Hypertension"},"subject":{"reference":"Patient/`+pid+`"}}`)
			create(t, c, "Observation", fmt.Sprintf(observation, pid, "2026-03-02T08:30:00Z", "70"))
		}
		create(t, c, "AllergyIntolerance", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/`+pid+`"},"code":{"text":"Penicillin"}}`)
		for _, tc := range []struct {
			types string
			want  map[string]int
		}{
			{"AllergyIntolerance", map[string]int{"AllergyIntolerance": 1}},
			{"Observation,Patient", map[string]int{"Observation": 3, "Patient": 1}},
			{"Condition&_type=AllergyIntolerance", map[string]int{"Condition": 3, "AllergyIntolerance": 1}},
		} {
			got := typesOnPages(t, c, "/fhir/Patient/"+pid+"/$everything?_count=2&_type="+tc.types)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("_type=%s: %v, want %v", tc.types, got, tc.want)
			}
		}
		if r := c.do("GET", "/fhir/Patient/"+pid+"/$everything?_type=Nonsense", ""); r.status != 400 || !isOutcome(r) {
			t.Errorf("_type=Nonsense: %d %s, want 400", r.status, r.body)
		}
		// The operation on the type, for every patient, is not served
		// (the bulk export is): not taken for a read of a patient.
		for _, path := range []string{"/fhir/Patient/$everything", "/fhir/Observation/$everything", "/fhir/Condition/$stats"} {
			if r := c.do("GET", path, ""); r.status != 501 || !isOutcome(r) || !strings.Contains(string(r.body), "not-supported") {
				t.Errorf("GET %s: %d %s, want 501 not-supported", path, r.status, r.body)
			}
		}
	})
}

// typesOnPages follows a searchset's next links from path and counts
// the resources of each type on its pages.
func typesOnPages(t *testing.T, c *client, path string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, r := range following(t, c, path) {
		got[r["resourceType"].(string)]++
	}
	return got
}

// TestEverythingCareDates: $everything's start and end keep the
// resources whose date of care falls in the period (an observation's
// effective time, a condition's onset), each page full, the next link
// carrying them; a resource with no date of care stays; an end before
// the start, or a start that is no date, is refused.
func TestEverythingCareDates(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Ann"]}]}`)
		for _, at := range []string{"2024-06-01T08:30:00Z", "2025-03-02T08:30:00Z", "2025-11-30T23:30:00Z", "2025-12-31T23:30:00Z", "2026-01-01T00:30:00Z"} {
			create(t, c, "Observation", fmt.Sprintf(observation, pid, at, "70"))
		}
		create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/`+pid+`"},"onsetDateTime":"2019-04-01"}`)
		create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Eczema"},"subject":{"reference":"Patient/`+pid+`"},"onsetPeriod":{"start":"2020-01-01","end":"2025-02-01"}}`)
		create(t, c, "AllergyIntolerance", `{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/`+pid+`"},"code":{"text":"Penicillin"}}`)
		for _, tc := range []struct {
			query string
			want  map[string]int
		}{
			// 2025 in Europe/London: the observation at 2026-01-01T00:30Z is
			// in 2026 there too; eczema's onset runs into 2025.
			{"start=2025-01-01&end=2025-12-31", map[string]int{"Observation": 3, "Condition": 1, "AllergyIntolerance": 1, "Patient": 1}},
			{"start=2025-12", map[string]int{"Observation": 2, "AllergyIntolerance": 1, "Patient": 1}},
			{"end=2019", map[string]int{"Condition": 1, "AllergyIntolerance": 1, "Patient": 1}},
			{"start=2025&end=2025&_type=Observation", map[string]int{"Observation": 3}},
		} {
			got := typesOnPages(t, c, "/fhir/Patient/"+pid+"/$everything?_count=2&"+tc.query)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		for _, bad := range []string{"start=2025&end=2024", "start=yesterday"} {
			if r := c.do("GET", "/fhir/Patient/"+pid+"/$everything?"+bad, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %s, want 400", bad, r.status, r.body)
			}
		}
	})
}

// TestCapabilityStatementClaims: the CapabilityStatement says what the
// server does of what checkers read from it (patchFormat,
// conditionalRead, searchRevInclude), and a _revinclude it lists works.
func TestCapabilityStatementClaims(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		cs := c.do("GET", "/fhir/metadata", "").json(t)
		if fmt.Sprint(cs["patchFormat"]) != "[application/json-patch+json application/fhir+json application/fhir+xml]" {
			t.Errorf("patchFormat %v", cs["patchFormat"])
		}
		byType := map[string]map[string]any{}
		for _, r := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			byType[r.(map[string]any)["type"].(string)] = r.(map[string]any)
		}
		// R4 has 146 concrete resource types; SubscriptionStatus is R4B's
		// (the definitions package carries it beside R4's), so it is
		// neither listed nor accepted.
		if len(byType) != 146 || byType["SubscriptionStatus"] != nil || byType["Subscription"] == nil {
			t.Errorf("CapabilityStatement lists %d types (SubscriptionStatus %v), want R4's 146", len(byType), byType["SubscriptionStatus"] != nil)
		}
		if r := c.do("POST", "/fhir/SubscriptionStatus", `{"resourceType":"SubscriptionStatus","status":"active","type":"heartbeat","subscription":{"reference":"Subscription/x"}}`); r.status/100 != 4 || !strings.Contains(string(r.body), "OperationOutcome") {
			t.Errorf("POST SubscriptionStatus: %d %s, want it refused with an OperationOutcome", r.status, r.body)
		}
		for typ, want := range map[string]string{"Condition": "full-support", "Patient": "full-support", "AuditEvent": "not-supported"} {
			if got := byType[typ]["conditionalRead"]; got != want {
				t.Errorf("%s conditionalRead %v, want %s", typ, got, want)
			}
		}
		for _, typ := range []string{"Patient", "Condition", "Encounter"} {
			rev := fmt.Sprint(byType[typ]["searchRevInclude"])
			if !strings.Contains(rev, "Provenance:target") {
				t.Errorf("%s searchRevInclude lacks Provenance:target: %s", typ, rev)
			}
		}
		if strings.Contains(fmt.Sprint(byType["Patient"]["searchRevInclude"]), "AuditEvent:") {
			t.Errorf("Patient searchRevInclude lists the audit trail")
		}
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Ann"]}],"birthDate":"1970-05-01"}`)
		create(t, c, "Provenance", `{"resourceType":"Provenance","target":[{"reference":"Patient/`+pid+`"}],"recorded":"2026-03-02T09:00:00Z","agent":[{"who":{"display":"a system"}}]}`)
		m := c.do("GET", "/fhir/Patient?_id="+pid+"&_revinclude=Provenance:target", "").json(t)
		if es, _ := m["entry"].([]any); len(es) != 2 {
			t.Errorf("Patient with _revinclude=Provenance:target: %d entries, want the patient and its Provenance", len(es))
		}
	})
}

// TestCapabilityStatementDefinitions: each search parameter the
// statement lists names the R4 SearchParameter that defines it, so that
// a checker reading the statement knows which parameter it is (a type's
// own, or one shared by several types), where R4 has one.
func TestCapabilityStatementDefinitions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		cs := f.a.do("GET", "/fhir/metadata", "").json(t)
		rest := cs["rest"].([]any)[0].(map[string]any)
		defs := map[string]string{}
		for _, r := range rest["resource"].([]any) {
			r := r.(map[string]any)
			sps, _ := r["searchParam"].([]any)
			for _, sp := range sps {
				sp := sp.(map[string]any)
				def, _ := sp["definition"].(string)
				defs[r["type"].(string)+"."+sp["name"].(string)] = def
				if sp["name"] != "_list" && !strings.HasPrefix(def, "http://hl7.org/fhir/SearchParameter/") {
					t.Errorf("%s searchParam %s: definition %q, want R4's SearchParameter", r["type"], sp["name"], def)
				}
			}
		}
		for key, want := range map[string]string{
			"Patient.birthdate":               "http://hl7.org/fhir/SearchParameter/individual-birthdate",
			"Patient.identifier":              "http://hl7.org/fhir/SearchParameter/Patient-identifier",
			"Observation.patient":             "http://hl7.org/fhir/SearchParameter/clinical-patient",
			"Observation.code":                "http://hl7.org/fhir/SearchParameter/clinical-code",
			"Encounter.date":                  "http://hl7.org/fhir/SearchParameter/clinical-date",
			"Condition._id":                   "http://hl7.org/fhir/SearchParameter/Resource-id",
			"Condition._text":                 "http://hl7.org/fhir/SearchParameter/DomainResource-text",
			"Observation.code-value-quantity": "http://hl7.org/fhir/SearchParameter/Observation-code-value-quantity",
		} {
			if defs[key] != want {
				t.Errorf("%s: definition %q, want %q", key, defs[key], want)
			}
		}
		for _, sp := range rest["searchParam"].([]any) {
			sp := sp.(map[string]any)
			if sp["type"] != "special" && !strings.HasPrefix(fmt.Sprint(sp["definition"]), "http://hl7.org/fhir/SearchParameter/Resource-") {
				t.Errorf("the system's searchParam %s: definition %v, want R4's", sp["name"], sp["definition"])
			}
		}
	})
}

// linkOf is the url of a Bundle's link of the relation, "" when it has
// none.
func linkOf(m map[string]any, relation string) string {
	links, _ := m["link"].([]any)
	for _, l := range links {
		if l := l.(map[string]any); l["relation"] == relation {
			return l["url"].(string)
		}
	}
	return ""
}

// TestSearchLinksAndSlashes checks a searchset's first link (the search
// from its start, with the page size asked) on every page, a self link
// with no parameters written without a "?", a type's URL with a
// trailing slash answered as the type's, and the CapabilityStatement's
// ETag, with which a client that holds it is told it has not changed.
func TestSearchLinksAndSlashes(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		hypertension(t, c, 3)
		page1 := c.do("GET", "/fhir/Condition?code:text=hypertension&_count=2", "").json(t)
		first := f.base + "/fhir/Condition?_count=2&code:text=hypertension"
		if got := linkOf(page1, "first"); got != first {
			t.Errorf("first link of page 1: %q, want %q", got, first)
		}
		next := nextLink(page1)
		if next == "" {
			t.Fatal("no next link")
		}
		if got := linkOf(c.do("GET", next, "").json(t), "first"); got != first {
			t.Errorf("first link of page 2: %q, want %q", got, first)
		}
		// A page read by its offset links to the page before it.
		for _, tc := range []struct{ q, prev string }{
			{"_sort=_id&_count=2&_offset=2", "_count=2&_sort=_id"},
			{"_sort=_id&_count=1&_offset=2", "_count=1&_offset=1&_sort=_id"},
			{"_sort=_id&_count=2", ""},
		} {
			page := c.do("GET", "/fhir/Condition?"+tc.q, "").json(t)
			want := ""
			if tc.prev != "" {
				want = f.base + "/fhir/Condition?" + tc.prev
			}
			if got := linkOf(page, "previous"); got != want {
				t.Errorf("Condition?%s: previous link %q, want %q", tc.q, got, want)
			}
		}
		all := c.do("GET", "/fhir/Condition", "").json(t)
		if got, want := linkOf(all, "self"), f.base+"/fhir/Condition"; got != want {
			t.Errorf("self link with no parameters: %q, want %q", got, want)
		}
		if n := len(all["entry"].([]any)); n != 3 {
			t.Errorf("Condition: %d entries, want 3", n)
		}
		// A first page that holds every match says how many; one that
		// does not, or a search asking for none, says nothing.
		if fmt.Sprint(all["total"]) != "3" {
			t.Errorf("the total of a page of every match: %v, want 3", all["total"])
		}
		if page1["total"] != nil {
			t.Errorf("a first page of more: total %v, want none", page1["total"])
		}
		if none := c.do("GET", "/fhir/Condition?_total=none", "").json(t); none["total"] != nil {
			t.Errorf("_total=none: total %v", none["total"])
		}
		if zero := c.do("GET", "/fhir/Condition?code:text=nothing-at-all", "").json(t); fmt.Sprint(zero["total"]) != "0" {
			t.Errorf("a search matching none: total %v, want 0", zero["total"])
		}
		slashed := c.do("GET", "/fhir/Condition/", "")
		if slashed.status != 200 || len(slashed.json(t)["entry"].([]any)) != 3 {
			t.Errorf("GET /fhir/Condition/: %d %s", slashed.status, slashed.body)
		}
		if r := c.do("POST", "/fhir/Condition/", `{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/p1"}}`); r.status != 201 {
			t.Errorf("POST /fhir/Condition/: %d %s", r.status, r.body)
		}
		if counted := c.do("GET", "/fhir/Condition?_summary=count", "").json(t); linkOf(counted, "first") != "" {
			t.Errorf("a count has a first link: %v", counted["link"])
		}
		meta := c.do("GET", "/fhir/metadata", "")
		etag := meta.header.Get("ETag")
		if !strings.HasPrefix(etag, `W/"`) {
			t.Fatalf("the CapabilityStatement's ETag: %q", etag)
		}
		if r := c.do("GET", "/fhir/metadata", "", "If-None-Match", etag); r.status != http.StatusNotModified {
			t.Errorf("metadata If-None-Match its ETag: %d, want 304", r.status)
		}
		if r := c.do("GET", "/fhir/metadata", "", "If-None-Match", `W/"0"`); r.status != 200 {
			t.Errorf("metadata If-None-Match another: %d, want 200", r.status)
		}
	})
}

// TestCORS checks that the API answers a browser on another site: its
// preflight, with the methods and headers a script may use, and its
// requests, with the headers the script may read; a request of no
// browser (no Origin) is answered as before.
func TestCORS(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		pre := c.do("OPTIONS", "/fhir/Observation", "", "Origin", "https://app.example.org", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
		if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "PUT") || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight: %d %v", pre.status, pre.header)
		}
		r := c.do("POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"Pulse"}}`, "Origin", "https://app.example.org")
		if r.status != 201 || r.header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(r.header.Get("Access-Control-Expose-Headers"), "Location") {
			t.Errorf("a create from another site: %d %v", r.status, r.header)
		}
		if r := c.do("GET", "/fhir/metadata", ""); r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a request of no browser: Access-Control-Allow-Origin %q", r.header.Get("Access-Control-Allow-Origin"))
		}
		if r := c.do("OPTIONS", "/fhir/Observation", ""); r.status != http.StatusMethodNotAllowed {
			t.Errorf("OPTIONS, no preflight: %d, want 405", r.status)
		}
	})
}

// TestSearchEscapedPipe checks that a token's value may hold a pipe,
// escaped (\|), with or without its system: the code is not split at
// it, and the quantity's and identifier's parts neither.
func TestSearchEscapedPipe(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		id := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","identifier":[{"system":"https://example.org/a|b","value":"v|1"}],"code":{"coding":[{"system":"http://example.com","code":"test|code"}]},"valueQuantity":{"value":5,"system":"http://unitsofmeasure.org","code":"mg|x"}}`)
		create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"test","code":"code"}]}}`)
		for _, tc := range []struct{ q, want string }{
			{`code=test\|code`, id},
			{`code=http://example.com|test\|code`, id},
			{`code=|test\|code`, ""},
			{`code=test|code`, "other"},
			{`identifier=https://example.org/a\|b|v\|1`, id},
			{`identifier=v\|1`, id},
			{`value-quantity=5|http://unitsofmeasure.org|mg\|x`, id},
			{`code=test\|code,nothing`, id},
		} {
			r := c.do("GET", "/fhir/Observation?"+strings.ReplaceAll(strings.ReplaceAll(tc.q, `\`, "%5C"), "|", "%7C"), "")
			if r.status != 200 {
				t.Errorf("%s: %d %s", tc.q, r.status, r.body)
				continue
			}
			es, _ := r.json(t)["entry"].([]any)
			var got []string
			for _, e := range es {
				got = append(got, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			switch {
			case tc.want == "other":
				if len(got) != 1 || got[0] == id {
					t.Errorf("%s: %v, want the other Observation", tc.q, got)
				}
			case tc.want == "" && len(got) != 0, tc.want != "" && (len(got) != 1 || got[0] != tc.want):
				t.Errorf("%s: %v, want [%s]", tc.q, got, tc.want)
			}
		}
	})
}

// TestSearchEmptyParameters: a parameter given with no value is ignored,
// as R4 asks, on the resource store, the patient index and POST _search
// alike, and the self link shows the search without it.
func TestSearchEmptyParameters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		annWithPulses(t, c)
		for _, tc := range []struct{ method, path, form, self, total string }{
			{"GET", "/fhir/Observation?code=&_total=accurate", "", "/fhir/Observation?_total=accurate", "2"},
			{"GET", "/fhir/Observation?code=&code=http://loinc.org|8867-4&_total=accurate", "", "/fhir/Observation?_total=accurate&code=http://loinc.org%7C8867-4", "2"},
			{"GET", "/fhir/Patient?family=&birthdate=1970-05-01", "", "/fhir/Patient?birthdate=1970-05-01", "1"},
			{"GET", "/fhir/Patient?family=&_total=accurate", "", "/fhir/Patient?_total=accurate", "1"},
			{"POST", "/fhir/Observation/_search", "subject=&_total=accurate", "/fhir/Observation?_total=accurate", "2"},
		} {
			var r response
			if tc.method == "POST" {
				r = c.do("POST", tc.path, tc.form, "Content-Type", "application/x-www-form-urlencoded")
			} else {
				r = c.do("GET", tc.path, "")
			}
			if r.status != 200 {
				t.Errorf("%s %s: status %d: %s, want 200", tc.method, tc.path, r.status, r.body)
				continue
			}
			m := r.json(t)
			if got := fmt.Sprint(m["total"]); got != tc.total {
				t.Errorf("%s %s: total %s, want %s", tc.method, tc.path, got, tc.total)
			}
			if got := linkOf(m, "self"); got != f.base+tc.self {
				t.Errorf("%s %s: self link %q, want %q", tc.method, tc.path, got, f.base+tc.self)
			}
		}
	})
}

// TestSearchPreviousLinks: a page of the resource store after the first
// links to the page before it, and that page to its own neighbours, so
// that a client pages back as it paged forward; in a compartment too. A
// previous link's cursor is refused where the pages are not the store's
// in the order created.
func TestSearchPreviousLinks(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := annWithPulses(t, c)
		var made []string
		for i := range 5 {
			made = append(made, create(t, c, "Condition", fmt.Sprintf(`{"resourceType":"Condition","code":{"text":"Problem %d"},"subject":{"reference":"Patient/%s"}}`, i, pid)))
		}
		for _, start := range []string{"/fhir/Condition?_count=2", "/fhir/Patient/" + pid + "/Condition?_count=2"} {
			// Forward, then back from the last page.
			var forward [][]string
			var last map[string]any
			for u := start; u != ""; u = nextLink(last) {
				last = c.do("GET", u, "").json(t)
				forward = append(forward, entryIDsOf(last))
			}
			if want := [][]string{made[0:2], made[2:4], made[4:5]}; fmt.Sprint(forward) != fmt.Sprint(want) {
				t.Fatalf("%s forward: %v, want %v", start, forward, want)
			}
			pages := previousPages(t, c, last)
			var back [][]string
			for _, page := range pages {
				back = append(back, entryIDsOf(page))
			}
			if len(pages) > 0 {
				// The page before has its next link to the page after it.
				if got := entryIDsOf(c.do("GET", nextLink(pages[0]), "").json(t)); fmt.Sprint(got) != fmt.Sprint(made[4:5]) {
					t.Errorf("%s: next of the previous page: %v, want %v", start, got, made[4:5])
				}
			}
			if want := [][]string{made[2:4], made[0:2]}; fmt.Sprint(back) != fmt.Sprint(want) {
				t.Errorf("%s back: %v, want %v", start, back, want)
			}
		}
		if r := c.do("GET", "/fhir/Condition?_count=2", ""); linkOf(r.json(t), "previous") != "" {
			t.Errorf("the first page has a previous link: %s", r.body)
		}
		for _, path := range []string{"/fhir/Condition?_cursor=before:no-such", "/fhir/Condition?_sort=_id&_cursor=before:" + made[2], "/fhir/Patient?_cursor=before:" + pid,
			"/fhir/Patient?_sort=birthdate&_cursor=sort:" + base64.RawURLEncoding.EncodeToString([]byte(`["1970-05-01","`+pid+`"]`))} {
			if r := c.do("GET", path, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("%s: %d %.300s, want 400", path, r.status, r.body)
			}
		}
	})
}

// previousPages reads the pages before a page through their previous
// links, the nearest first (at most 10).
func previousPages(t *testing.T, c *client, page map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for prev := linkOf(page, "previous"); prev != ""; prev = linkOf(page, "previous") {
		page = c.do("GET", prev, "").json(t)
		out = append(out, page)
		if len(out) > 10 {
			t.Fatal("more than 10 previous pages")
		}
	}
	return out
}

// entryIDsOf is the ids of a searchset's matches, in order.
func entryIDsOf(b map[string]any) []string {
	var out []string
	es, _ := b["entry"].([]any)
	for _, e := range es {
		e := e.(map[string]any)
		if s, _ := e["search"].(map[string]any); s != nil && s["mode"] != "match" {
			continue
		}
		out = append(out, e["resource"].(map[string]any)["id"].(string))
	}
	return out
}
