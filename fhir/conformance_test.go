package fhir_test

import (
	"fmt"
	"net/http"
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

// TestSearchCountZero: _count=0 asks for the number of matches and no
// resources, from the resource store and from the typed core alike, with
// no next link to follow.
func TestSearchCountZero(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		pid := create(t, c, "Patient", `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"Smith","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"}`)
		for _, v := range []string{"70", "72"} {
			create(t, c, "Observation", fmt.Sprintf(observation, pid, "2026-03-02T08:30:00Z", v))
		}
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

// TestFormats: FHIR JSON is served for every way of asking for it; a
// request that asks only for XML (or another format) gets 406 with an
// OperationOutcome.
func TestFormats(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := create(t, c, "Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/p1"}}`)
		for _, tc := range []struct {
			path, accept string
			status       int
		}{
			{"/fhir/Condition/" + id, "application/fhir+json", 200},
			{"/fhir/Condition/" + id, "application/json", 200},
			{"/fhir/Condition/" + id, "application/fhir+json; fhirVersion=4.0", 200},
			{"/fhir/Condition/" + id, "*/*", 200},
			{"/fhir/Condition/" + id, "application/fhir+xml;q=1.0, application/fhir+json;q=0.9", 200},
			{"/fhir/Condition/" + id, "application/fhir+xml", 406},
			{"/fhir/Condition/" + id, "application/xml", 406},
			{"/fhir/Condition/" + id, "text/html", 406},
			{"/fhir/Condition/" + id + "?_format=json", "", 200},
			{"/fhir/Condition/" + id + "?_format=application/fhir%2Bjson", "", 200},
			{"/fhir/Condition/" + id + "?_format=application/fhir+json", "", 200},
			{"/fhir/Condition/" + id + "?_format=xml", "", 406},
			{"/fhir/Condition/" + id + "?_format=application/fhir%2Bxml", "", 406},
			{"/fhir/Condition?_format=xml", "", 406},
			{"/fhir/metadata?_format=xml", "", 406},
			{"/fhir/metadata", "application/fhir+xml", 406},
			{"/fhir/metadata?_format=json", "", 200},
		} {
			var h []string
			if tc.accept != "" {
				h = []string{"Accept", tc.accept}
			}
			r := c.do("GET", tc.path, "", h...)
			if r.status != tc.status || r.header.Get("Content-Type") != "application/fhir+json; charset=utf-8" || tc.status == 406 && !isOutcome(r) {
				t.Errorf("GET %s Accept %q: %d %s %s, want %d FHIR JSON", tc.path, tc.accept, r.status, r.header.Get("Content-Type"), r.body, tc.status)
			}
		}
	})
}
