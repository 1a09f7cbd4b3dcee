package fhir_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatch applies JSON Patches: each operation, If-Match, a failed
// test that changes nothing, and a patch that would break the resource.
func TestPatch(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pat := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","active":true,"name":[{"family":"Smith","given":["Ann"]}],"birthDate":"1970-05-01"}`)
		pid := pat.json(t)["id"].(string)
		patch := func(body string, header ...string) response {
			t.Helper()
			return c.do("PATCH", "/fhir/Patient/"+pid, body, append([]string{"Content-Type", "application/json-patch+json"}, header...)...)
		}
		tests := []struct {
			name   string
			body   string
			match  string
			status int
			want   string // in the resource answered
		}{
			{"replace", `[{"op":"replace","path":"/birthDate","value":"1971-06-02"}]`, `W/"1"`, 200, `"birthDate":"1971-06-02"`},
			{"add to array", `[{"op":"add","path":"/name/0/given/-","value":"Beth"}]`, "", 200, `"given":["Ann","Beth"]`},
			{"test then remove", `[{"op":"test","path":"/active","value":true},{"op":"remove","path":"/active"}]`, "", 200, `"birthDate"`},
			{"copy", `[{"op":"copy","from":"/name/0","path":"/name/-"}]`, "", 200, `"name":[{"family":"Smith","given":["Ann","Beth"]},{"family":"Smith"`},
			{"move", `[{"op":"move","from":"/name/1","path":"/contact"}]`, "", 400, ""},
			{"stale If-Match", `[{"op":"replace","path":"/birthDate","value":"1972-01-01"}]`, `W/"1"`, 412, ""},
			{"failed test", `[{"op":"replace","path":"/birthDate","value":"1972-01-01"},{"op":"test","path":"/birthDate","value":"1999-01-01"}]`, "", 422, ""},
			{"not R4", `[{"op":"add","path":"/colour","value":"red"}]`, "", 400, ""},
			{"id changed", `[{"op":"replace","path":"/id","value":"other"}]`, "", 400, ""},
			{"missing path", `[{"op":"remove","path":"/deceasedBoolean"}]`, "", 422, ""},
			{"bad op", `[{"op":"frobnicate","path":"/a"}]`, "", 400, ""},
			{"not an array", `{"op":"add"}`, "", 400, ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var h []string
				if tc.match != "" {
					h = []string{"If-Match", tc.match}
				}
				r := patch(tc.body, h...)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
				}
				if tc.status != 200 && !isOutcome(r) {
					t.Errorf("not an OperationOutcome: %s", r.body)
				}
				if !strings.Contains(string(r.body), tc.want) {
					t.Errorf("answer %s does not hold %s", r.body, tc.want)
				}
			})
		}
		got := c.do("GET", "/fhir/Patient/"+pid, "")
		if got.header.Get("ETag") != `W/"5"` || strings.Contains(string(got.body), "1972") || strings.Contains(string(got.body), `"active"`) {
			t.Errorf("after the patches: %s %s, want version 5 without the refused changes", got.header.Get("ETag"), got.body)
		}
		if r := c.do("PATCH", "/fhir/Patient/"+pid, `[]`); r.status != 400 || !isOutcome(r) {
			t.Errorf("a JSON Patch sent as FHIR JSON: %d, want 400", r.status)
		}
		if r := c.do("PATCH", "/fhir/Patient/"+pid, `[]`, "Content-Type", "text/plain"); r.status != 415 {
			t.Errorf("patch as text: %d, want 415", r.status)
		}
	})
}

// TestConditionalUpdateDelete: PUT and DELETE [type]?query by the
// number of matches.
func TestConditionalUpdateDelete(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		body := func(nhs, family string) string {
			return fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"%s"}],"name":[{"family":"%s"}]}`, nhs, family)
		}
		q := "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018"
		r := c.do("PUT", q, body("9990000018", "Smith"))
		if r.status != 201 {
			t.Fatalf("no match: %d %s, want 201", r.status, r.body)
		}
		id := r.json(t)["id"].(string)
		r = c.do("PUT", q, body("9990000018", "Smyth"))
		if r.status != 200 || r.json(t)["id"] != id || r.header.Get("ETag") != `W/"2"` {
			t.Errorf("one match: %d %s, want 200 version 2 of %s", r.status, r.body, id)
		}
		c.do("POST", "/fhir/Patient", body("9990000026", "Jones"))
		c.do("POST", "/fhir/Patient", body("9990000026", "Jones"))
		if r := c.do("PUT", "/fhir/Patient?family=jones", body("9990000026", "Jones")); r.status != 412 || !isOutcome(r) {
			t.Errorf("two matches: %d %s, want 412", r.status, r.body)
		}
		if r := c.do("PUT", "/fhir/Patient", body("9990000026", "Jones")); r.status != 400 {
			t.Errorf("no query: %d, want 400", r.status)
		}
		if r := c.do("DELETE", "/fhir/Patient?family=jones", ""); r.status != 412 {
			t.Errorf("delete two matches: %d %s, want 412", r.status, r.body)
		}
		if r := c.do("DELETE", q, ""); r.status != 204 {
			t.Errorf("delete one match: %d %s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Patient/"+id, ""); r.status != 410 {
			t.Errorf("read after conditional delete: %d, want 410", r.status)
		}
		if r := c.do("DELETE", q, ""); r.status != 204 {
			t.Errorf("delete no match: %d", r.status)
		}
		if n := c.do("GET", "/fhir/Patient?_summary=count", "").json(t)["total"]; fmt.Sprint(n) != "2" {
			t.Errorf("%v patients left, want 2", n)
		}
	})
}

// historyPage reads a page of history: its resources, in its order,
// and its next link ("" when it is the last).
func historyPage(t *testing.T, c *client, path string) (out []map[string]any, next string) {
	t.Helper()
	r := c.do("GET", path, "")
	if r.status != 200 {
		t.Fatalf("%s: %d %s", path, r.status, r.body)
	}
	m := r.json(t)
	es, _ := m["entry"].([]any)
	for _, e := range es {
		out = append(out, e.(map[string]any)["resource"].(map[string]any))
	}
	links, _ := m["link"].([]any)
	for _, l := range links {
		if l := l.(map[string]any); l["relation"] == "next" {
			next = l["url"].(string)
		}
	}
	return out, next
}

// TestHistoryPaging: history at every level is newest first, _count
// pages it and _since cuts it, and a page stays true while versions are
// added.
func TestHistoryPaging(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		id := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","gender":"male"}`).json(t)["id"].(string)
		for _, g := range []string{"female", "other", "unknown"} {
			clock.Advance(time.Minute)
			c.do("PUT", "/fhir/Patient/"+id, `{"resourceType":"Patient","id":"`+id+`","gender":"`+g+`"}`)
		}
		versions := func(path string) (out []string, next string) {
			t.Helper()
			rs, next := historyPage(t, c, path)
			for _, res := range rs {
				out = append(out, res["meta"].(map[string]any)["versionId"].(string))
			}
			return out, next
		}
		for _, path := range []string{"/fhir/Patient/" + id + "/_history", "/fhir/Patient/_history", "/fhir/_history"} {
			page, next := versions(path + "?_count=3")
			if strings.Join(page, ",") != "4,3,2" || next == "" {
				t.Errorf("%s first page %v next %q, want 4,3,2 and a next link", path, page, next)
			}
			clock.Advance(time.Minute)
			rest, _ := versions(next)
			if strings.Join(rest, ",") != "1" {
				t.Errorf("%s second page %v, want 1", path, rest)
			}
			since := storetest.Epoch.Add(90 * time.Second).UTC().Format(time.RFC3339)
			if got, _ := versions(path + "?_since=" + since); strings.Join(got, ",") != "4,3" {
				t.Errorf("%s _since %s = %v, want 4,3", path, since, got)
			}
		}
		// A history asked for with no parameters links itself without a
		// trailing "?".
		for _, path := range []string{"/fhir/Patient/" + id + "/_history", "/fhir/Patient/_history", "/fhir/_history"} {
			links := c.do("GET", path, "").json(t)["link"].([]any)
			if self := links[0].(map[string]any); self["relation"] != "self" || !strings.HasSuffix(self["url"].(string), path) {
				t.Errorf("%s links itself as %v, want a URL ending %s", path, self, path)
			}
		}
		// A history Bundle writes its links' & and a narrative's < and >
		// as they are, as a searchset does, not as \u0026 and \u003c.
		oid := c.do("POST", "/fhir/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"Pulse"},`+
			`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Pulse &amp; rhythm</div>"}}`).json(t)["id"].(string)
		for _, path := range []string{"/fhir/Observation/" + oid + "/_history?_count=1&_since=2000-01-01", "/fhir/Observation/_history?_count=1&_since=2000-01-01"} {
			r := c.do("GET", path, "")
			if r.status != 200 || bytes.Contains(r.body, []byte(`\u00`)) || !bytes.Contains(r.body, []byte(`_count=1&_since`)) || !bytes.Contains(r.body, []byte(`"<div xmlns=`)) {
				t.Errorf("%s: %d %s; want <, > and & as they are", path, r.status, r.body)
			}
		}
		for _, bad := range []string{"?_count=0", "?_count=x", "?_since=yesterday", "?name=x"} {
			if r := c.do("GET", "/fhir/Patient/_history"+bad, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("history %s: %d, want 400", bad, r.status)
			}
		}
	})
}

// TestConditionalUpdateConcurrent puts one conditional update many
// times at once: the first creates the patient, the rest update it, and
// there is never a second.
func TestConditionalUpdateConcurrent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		body := `{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000034"}]}`
		const n = 12
		statuses := make(chan int, n)
		for i := 0; i < n; i++ {
			go func() {
				statuses <- f.a.do("PUT", "/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000034", body).status
			}()
		}
		created := 0
		for i := 0; i < n; i++ {
			switch s := <-statuses; s {
			case 201:
				created++
			case 200:
			default:
				t.Errorf("status %d", s)
			}
		}
		total := f.a.do("GET", "/fhir/Patient?identifier=9990000034&_summary=count", "").json(t)["total"]
		if created != 1 || fmt.Sprint(total) != "1" {
			t.Errorf("created %d times, %v stored; want 1", created, total)
		}
	})
}

// TestHistoryAt: _at keeps the versions of a resource that were current
// at some time in its period (an instant, or a whole day).
func TestHistoryAt(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		body := func(status string) string {
			return `{"resourceType":"Observation","status":"` + status + `","code":{"text":"HR"}}`
		}
		created := c.do("POST", "/fhir/Observation", body("preliminary")).json(t)
		id := created["id"].(string)
		t0, err := time.Parse(time.RFC3339, created["meta"].(map[string]any)["lastUpdated"].(string))
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []string{"final", "amended"} {
			clock.Advance(time.Hour)
			if r := c.do("PUT", "/fhir/Observation/"+id, `{"resourceType":"Observation","id":"`+id+`","status":"`+st+`","code":{"text":"HR"}}`); r.status != 200 {
				t.Fatalf("update: %d %s", r.status, r.body)
			}
		}
		at := func(d time.Duration) string { return url.QueryEscape(t0.Add(d).UTC().Format(time.RFC3339)) }
		for q, want := range map[string]string{
			at(30 * time.Minute): "1",
			at(90 * time.Minute): "2",
			at(3 * time.Hour):    "3",
			at(-time.Hour):       "",
			t0.Format("2006-01"): "3,2,1",
		} {
			r := c.do("GET", "/fhir/Observation/"+id+"/_history?_at="+q, "")
			if r.status != 200 {
				t.Fatalf("_at=%s: %d %s", q, r.status, r.body)
			}
			var got []string
			es, _ := r.json(t)["entry"].([]any)
			for _, e := range es {
				got = append(got, e.(map[string]any)["resource"].(map[string]any)["meta"].(map[string]any)["versionId"].(string))
			}
			if strings.Join(got, ",") != want {
				t.Errorf("_history?_at=%s: versions %v, want %s", q, got, want)
			}
		}
	})
}

// TestHistoryAtTypeAndSystem: _at on the history of a type and of the
// system keeps the versions current at some time in its period, with
// prefixes (ge, lt, ...) and values that narrow it together, paged as
// history is; the PMI's patients by the versions their events carry.
func TestHistoryAtTypeAndSystem(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		t0 := clock.Now()
		obs := func(status string) string {
			return `{"resourceType":"Observation","status":"` + status + `","code":{"text":"HR"}}`
		}
		o1, o2 := create(t, c, "Observation", obs("preliminary")), create(t, c, "Observation", obs("final"))
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Athen","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01"}`)
		for _, st := range []string{"final", "amended"} {
			clock.Advance(time.Hour)
			if r := c.do("PUT", "/fhir/Observation/"+o1, `{"resourceType":"Observation","id":"`+o1+`","status":"`+st+`","code":{"text":"HR"}}`); r.status != 200 {
				t.Fatalf("update: %d %s", r.status, r.body)
			}
		}
		if r := c.do("PUT", "/fhir/Patient/"+pid, `{"resourceType":"Patient","id":"`+pid+`","name":[{"family":"Athen","given":["Anne"]}],"gender":"female","birthDate":"1970-01-01"}`); r.status != 200 {
			t.Fatalf("update patient: %d %s", r.status, r.body)
		}
		clock.Advance(time.Hour)
		cid := create(t, c, "Condition", `{"resourceType":"Condition","code":{"text":"Asthma"},"subject":{"reference":"Patient/`+pid+`"}}`)
		at := func(d time.Duration) string { return t0.Add(d).UTC().Format(time.RFC3339) }
		names := map[string]string{o1: "o1", o2: "o2", pid: "p", cid: "c"}
		// versions follows a history's pages and names its versions.
		versions := func(path string) string {
			t.Helper()
			var got []string
			for path != "" {
				var rs []map[string]any
				rs, path = historyPage(t, c, path)
				for _, res := range rs {
					got = append(got, names[res["id"].(string)]+"v"+res["meta"].(map[string]any)["versionId"].(string))
				}
				if path != "" && !strings.Contains(path, "_at=") {
					t.Errorf("next link %s drops _at", path)
				}
			}
			slices.Sort(got)
			return strings.Join(got, ",")
		}
		for _, tc := range []struct{ path, want string }{
			{"/fhir/Observation/_history?_at=" + url.QueryEscape(at(30*time.Minute)), "o1v1,o2v1"},
			{"/fhir/Observation/_history?_count=1&_at=ge" + url.QueryEscape(at(90*time.Minute)), "o1v2,o1v3,o2v1"},
			{"/fhir/Observation/_history?_at=gt" + url.QueryEscape(at(time.Hour)) + "&_at=lt" + url.QueryEscape(at(90*time.Minute)), "o1v2,o2v1"},
			{"/fhir/Observation/_history?_at=lt" + url.QueryEscape(at(0)), ""},
			{"/fhir/Observation/_history?_at=" + t0.Format("2006"), "o1v1,o1v2,o1v3,o2v1"},
			{"/fhir/Patient/_history?_at=" + url.QueryEscape(at(30*time.Minute)), "pv1"},
			{"/fhir/Patient/_history?_at=ge" + url.QueryEscape(at(150*time.Minute)), "pv2"},
			{"/fhir/_history?_count=2&_at=ge" + url.QueryEscape(at(150*time.Minute)), "cv1,o1v3,o2v1,pv2"},
			{"/fhir/_history?_at=le" + url.QueryEscape(at(30*time.Minute)), "o1v1,o2v1,pv1"},
		} {
			if got := versions(tc.path); got != tc.want {
				t.Errorf("%s: versions %s, want %s", tc.path, got, tc.want)
			}
		}
		for _, q := range []string{"ne" + t0.Format("2006"), "tomorrow"} {
			if r := c.do("GET", "/fhir/Observation/_history?_at="+q, ""); r.status != 400 || !isOutcome(r) {
				t.Errorf("_at=%s: %d %s, want 400", q, r.status, r.body)
			}
		}
	})
}

// TestMetaOperation: [type]/[id]/$meta answers the resource's meta (its
// version, tags, profile) as a Parameters, by GET or POST, for the
// resource store's resources and the PMI's patients; a resource not
// there is 404, a deleted one 410.
func TestMetaOperation(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		oid := create(t, c, "Observation", `{"resourceType":"Observation","meta":{"tag":[{"system":"urn:test","code":"red"}]},"status":"final","code":{"text":"HR"}}`)
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Meta","given":["Ann"]}],"gender":"female","birthDate":"1970-01-01"}`)
		metaOf := func(r response) map[string]any {
			t.Helper()
			m := r.json(t)
			if r.status != 200 || m["resourceType"] != "Parameters" {
				t.Fatalf("$meta: %d %s", r.status, r.body)
			}
			p := m["parameter"].([]any)[0].(map[string]any)
			if p["name"] != "return" {
				t.Fatalf("$meta parameter %v, want return", p["name"])
			}
			return p["valueMeta"].(map[string]any)
		}
		for _, method := range []string{"GET", "POST"} {
			m := metaOf(c.do(method, "/fhir/Observation/"+oid+"/$meta", ""))
			if m["versionId"] != "1" || !strings.Contains(fmt.Sprint(m["tag"]), "red") {
				t.Errorf("%s Observation $meta = %v, want version 1 and the tag", method, m)
			}
		}
		if m := metaOf(c.do("GET", "/fhir/Patient/"+pid+"/$meta", "")); !strings.Contains(fmt.Sprint(m["profile"]), "UKCore-Patient") {
			t.Errorf("Patient $meta = %v, want the UK Core profile", m)
		}
		if r := c.do("GET", "/fhir/Observation/nothing/$meta", ""); r.status != 404 || !isOutcome(r) {
			t.Errorf("$meta of nothing: %d %s, want 404", r.status, r.body)
		}
		c.do("DELETE", "/fhir/Observation/"+oid, "")
		if r := c.do("GET", "/fhir/Observation/"+oid+"/$meta", ""); r.status != 410 || !isOutcome(r) {
			t.Errorf("$meta of a deleted resource: %d %s, want 410", r.status, r.body)
		}
	})
}

// TestMetaOperationInUse: [type]/$meta and $meta at the base answer the
// distinct profiles, tags and security labels on the current resources
// of the type or of the trust, by GET or POST; a deleted resource's are
// gone, another trust's never seen, and the PAS's and the PMI's types
// carry their UK Core profile.
func TestMetaOperationInUse(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		create(t, c, "Observation", `{"resourceType":"Observation","meta":{"profile":["https://example.org/obs"],"tag":[{"system":"urn:test","code":"red"}]},"status":"final","code":{"text":"HR"}}`)
		create(t, c, "Observation", `{"resourceType":"Observation","meta":{"tag":[{"system":"urn:test","code":"red"},{"system":"urn:test","code":"blue"}],"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},"status":"final","code":{"text":"HR"}}`)
		gone := create(t, c, "Observation", `{"resourceType":"Observation","meta":{"tag":[{"system":"urn:test","code":"gone"}]},"status":"final","code":{"text":"HR"}}`)
		c.do("DELETE", "/fhir/Observation/"+gone, "")
		create(t, c, "Medication", `{"resourceType":"Medication","meta":{"tag":[{"system":"urn:test","code":"green"}]},"code":{"text":"Aspirin"}}`)
		create(t, f.b, "Observation", `{"resourceType":"Observation","meta":{"tag":[{"system":"urn:test","code":"other-trust"}]},"status":"final","code":{"text":"HR"}}`)
		metaOf := func(method, path string) string {
			t.Helper()
			r := c.do(method, path, "")
			m := r.json(t)
			if r.status != 200 || m["resourceType"] != "Parameters" {
				t.Fatalf("%s %s: %d %s", method, path, r.status, r.body)
			}
			p := m["parameter"].([]any)[0].(map[string]any)
			if p["name"] != "return" {
				t.Fatalf("%s parameter %v, want return", path, p["name"])
			}
			b, _ := json.Marshal(p["valueMeta"])
			return string(b)
		}
		const obs = `{"profile":["https://example.org/obs"],"security":[{"code":"R","system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}],"tag":[{"code":"blue","system":"urn:test"},{"code":"red","system":"urn:test"}]}`
		for _, method := range []string{"GET", "POST"} {
			if got := metaOf(method, "/fhir/Observation/$meta"); got != obs {
				t.Errorf("%s Observation/$meta = %s, want %s", method, got, obs)
			}
		}
		all := metaOf("GET", "/fhir/$meta")
		for _, want := range []string{"green", "red", "blue", "UKCore-Patient", "UKCore-Encounter", "https://example.org/obs"} {
			if !strings.Contains(all, want) {
				t.Errorf("$meta = %s, want %s in it", all, want)
			}
		}
		for _, not := range []string{"gone", "other-trust"} {
			if strings.Contains(all, not) {
				t.Errorf("$meta = %s, has %s", all, not)
			}
		}
		if got := metaOf("GET", "/fhir/Encounter/$meta"); !strings.Contains(got, "UKCore-Encounter") {
			t.Errorf("Encounter/$meta = %s, want the UK Core profile", got)
		}
		if r := c.do("GET", "/fhir/AuditEvent/$meta", ""); r.status != 405 || !isOutcome(r) {
			t.Errorf("AuditEvent/$meta: %d %s, want 405", r.status, r.body)
		}
	})
}

// TestHistoryMethods: each entry of a history names the interaction
// that wrote its version: POST for a create, PUT for an update and for
// the version 1 an update created (by the client's id, alone or in a
// transaction), PATCH for a patch, DELETE for a delete.
func TestHistoryMethods(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := start(t, db, clock, nil).a
		obs := func(id, value string) string {
			return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"Pulse"},"valueQuantity":{"value":` + value + `}}`
		}
		must := func(r response, status int, what string) {
			t.Helper()
			if r.status != status {
				t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
			}
		}
		must(c.do("PUT", "/fhir/Observation/hm-1", obs("hm-1", "60")), 201, "update as create")
		clock.Advance(time.Second)
		must(c.do("PATCH", "/fhir/Observation/hm-1", `[{"op":"replace","path":"/valueQuantity/value","value":61}]`, "Content-Type", "application/json-patch+json"), 200, "patch")
		clock.Advance(time.Second)
		must(c.do("PUT", "/fhir/Observation/hm-1", obs("hm-1", "62")), 200, "update")
		clock.Advance(time.Second)
		must(c.do("DELETE", "/fhir/Observation/hm-1", ""), 204, "delete")
		clock.Advance(time.Second)
		posted := c.do("POST", "/fhir/Observation", obs("x", "63"))
		must(posted, 201, "create")
		pid := posted.json(t)["id"].(string)
		must(c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":`+obs("hm-2", "64")+`,"request":{"method":"PUT","url":"Observation/hm-2"}}]}`), 200, "transaction")
		requests := func(path string) string {
			var out []string
			for _, e := range c.do("GET", path, "").json(t)["entry"].([]any) {
				e := e.(map[string]any)
				rq := e["request"].(map[string]any)
				out = append(out, rq["method"].(string)+" "+rq["url"].(string)+" "+e["response"].(map[string]any)["status"].(string))
			}
			return strings.Join(out, ", ")
		}
		if got, want := requests("/fhir/Observation/hm-1/_history"), "DELETE Observation/hm-1 204 No Content, PUT Observation/hm-1 200 OK, PATCH Observation/hm-1 200 OK, PUT Observation/hm-1 201 Created"; got != want {
			t.Errorf("history of hm-1: %s, want %s", got, want)
		}
		if got, want := requests("/fhir/Observation/_history?_count=2"), "PUT Observation/hm-2 201 Created, POST Observation 201 Created"; got != want {
			t.Errorf("the type's newest: %s, want %s", got, want)
		}
		if got := requests("/fhir/Observation/" + pid + "/_history"); got != "POST Observation 201 Created" {
			t.Errorf("history of a created Observation: %s, want POST Observation 201 Created", got)
		}
	})
}

// TestPreconditionNamesNoVersion checks that an If-Match whose entity
// tag names no version (W/"abc") fails its precondition (412), as one
// naming a version that is not current does, alone and in a batch, and
// that what is no entity tag is refused (400); and that a version id no
// version has (abc) is not found (404).
func TestPreconditionNamesNoVersion(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		obs := `{"resourceType":"Observation","id":"pn-1","status":"final","code":{"text":"Pulse"}}`
		if r := c.do("PUT", "/fhir/Observation/pn-1", obs); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		pat := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Lane","given":["Ann"]}],"birthDate":"1970-01-01"}`)
		if pat.status != 201 {
			t.Fatalf("register: %d %s", pat.status, pat.body)
		}
		pid := pat.json(t)["id"].(string)
		for _, tc := range []struct {
			path, body, match string
			status            int
		}{
			{"/fhir/Observation/pn-1", obs, `W/"outdated-version"`, 412},
			{"/fhir/Observation/pn-1", obs, `"2"`, 412},
			{"/fhir/Observation/pn-1", obs, `outdated`, 400},
			{"/fhir/Patient/" + pid, strings.Replace(string(pat.body), `"Lane"`, `"Lain"`, 1), `W/"x"`, 412},
		} {
			if r := c.do("PUT", tc.path, tc.body, "If-Match", tc.match); r.status != tc.status {
				t.Errorf("PUT %s If-Match %s: %d %s, want %d", tc.path, tc.match, r.status, r.body, tc.status)
			}
		}
		batch := `{"resourceType":"Bundle","type":"batch","entry":[{"resource":` + obs + `,"request":{"method":"PUT","url":"Observation/pn-1","ifMatch":"W/\"abc\""}}]}`
		if got := c.do("POST", "/fhir", batch).json(t)["entry"].([]any)[0].(map[string]any)["response"].(map[string]any)["status"]; !strings.HasPrefix(got.(string), "412") {
			t.Errorf("a batch's entry with If-Match W/\"abc\": %v, want 412", got)
		}
		for _, path := range []string{"/fhir/Observation/pn-1/_history/abc", "/fhir/Observation/pn-1/_history/0", "/fhir/Patient/" + pid + "/_history/v1"} {
			if r := c.do("GET", path, ""); r.status != 404 || !isOutcome(r) {
				t.Errorf("GET %s: %d %s, want 404", path, r.status, r.body)
			}
		}
	})
}

// TestIfNoneMatchWrite checks an update, patch and delete under
// If-None-Match (RFC 9110): * writes only what does not exist, and an
// entity tag naming the current version refuses the write (412, nothing
// written), of the resource store and of the patient index, as a
// conditional update's match does.
func TestIfNoneMatchWrite(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		c := f.a
		obs := func(id, text string) string {
			return `{"resourceType":"Observation","id":"` + id + `","status":"final","code":{"text":"` + text + `"}}`
		}
		pat := c.do("POST", "/fhir/Patient", `{"resourceType":"Patient","identifier":[{"system":"https://example.org/mrn","value":"inm-1"}],"name":[{"family":"Lane","given":["Ann"]}],"birthDate":"1970-01-01"}`)
		if pat.status != 201 {
			t.Fatalf("register: %d %s", pat.status, pat.body)
		}
		pid := pat.json(t)["id"].(string)
		renamed := strings.Replace(string(pat.body), `"Lane"`, `"Lain"`, 1)
		patch := []string{"Content-Type", "application/json-patch+json", "If-None-Match"}
		for _, tc := range []struct {
			name, method, path, body string
			header                   []string
			status                   int
		}{
			{"create only, none held", "PUT", "/fhir/Observation/inm-1", obs("inm-1", "Pulse"), []string{"If-None-Match", "*"}, 201},
			{"create only, held", "PUT", "/fhir/Observation/inm-1", obs("inm-1", "Heart rate"), []string{"If-None-Match", "*"}, 412},
			{"the version seen", "PUT", "/fhir/Observation/inm-1", obs("inm-1", "Heart rate"), []string{"If-None-Match", `W/"1"`}, 412},
			{"another version", "PUT", "/fhir/Observation/inm-1", obs("inm-1", "Heart rate"), []string{"If-None-Match", `W/"7", W/"8"`}, 200},
			{"patch of the version seen", "PATCH", "/fhir/Observation/inm-1", `[{"op":"replace","path":"/status","value":"amended"}]`, append(patch, `W/"2"`), 412},
			{"delete of the version seen", "DELETE", "/fhir/Observation/inm-1", "", []string{"If-None-Match", `"2"`}, 412},
			{"conditional update, match held", "PUT", "/fhir/Observation?code:text=Heart", obs("inm-1", "Heart rate, resting"), []string{"If-None-Match", "*"}, 412},
			{"patient, the version seen", "PUT", "/fhir/Patient/" + pid, renamed, []string{"If-None-Match", `W/"1"`}, 412},
			{"patient, create only", "PUT", "/fhir/Patient?identifier=https://example.org/mrn|inm-1", renamed, []string{"If-None-Match", "*"}, 412},
			{"patient patch", "PATCH", "/fhir/Patient/" + pid, `[{"op":"replace","path":"/birthDate","value":"1971-01-01"}]`, append(patch, "*"), 412},
			{"patient, another version", "PUT", "/fhir/Patient/" + pid, renamed, []string{"If-None-Match", `W/"2"`}, 200},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := c.do(tc.method, tc.path, tc.body, tc.header...)
				if r.status != tc.status {
					t.Fatalf("%s %s %v: %d %s, want %d", tc.method, tc.path, tc.header, r.status, r.body, tc.status)
				}
				if r.status == 412 && (!isOutcome(r) || !strings.Contains(string(r.body), "If-None-Match")) {
					t.Errorf("412 without an OperationOutcome naming If-None-Match: %s", r.body)
				}
			})
		}
		if got := c.do("GET", "/fhir/Observation/inm-1", ""); got.header.Get("ETag") != `W/"2"` || !strings.Contains(string(got.body), `"Heart rate"`) || !strings.Contains(string(got.body), `"final"`) {
			t.Errorf("after the refused writes: %s %s, want version 2 as the one update taken wrote it", got.header.Get("ETag"), got.body)
		}
		if got := c.do("GET", "/fhir/Patient/"+pid, ""); got.header.Get("ETag") != `W/"2"` || !strings.Contains(string(got.body), `"Lain"`) || !strings.Contains(string(got.body), "1970-01-01") {
			t.Errorf("the patient after the refused writes: %s %s, want version 2, Lain, born 1970", got.header.Get("ETag"), got.body)
		}
	})
}

// TestBundleEntryConditions: a Bundle entry's request.ifNoneMatch and
// request.ifModifiedSince act as the headers they stand for: a GET of the
// version named, or of one not newer, answers 304 (in a batch and in a
// transaction, of the resource store and of the patient index), a PUT
// or DELETE whose ifNoneMatch names the current version is refused
// (412: the batch's entry, the whole transaction), and what is no
// instant is a bad request naming the entry.
func TestBundleEntryConditions(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		c := startPAS(t, db, clock).a
		obs := `{"resourceType":"Observation","id":"bc-1","status":"final","code":{"text":"Pulse"}}`
		if r := c.do("PUT", "/fhir/Observation/bc-1", obs); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		pid := create(t, c, "Patient", `{"resourceType":"Patient","name":[{"family":"Lane","given":["Ann"]}],"birthDate":"1970-01-01"}`)
		get := func(url, cond string) string {
			return `{"request":{"method":"GET","url":"` + url + `"` + cond + `}}`
		}
		statuses := func(r response) []string {
			t.Helper()
			if r.status != 200 {
				t.Fatalf("Bundle: %d %s", r.status, r.body)
			}
			var out []string
			for _, e := range r.json(t)["entry"].([]any) {
				s, _ := e.(map[string]any)["response"].(map[string]any)["status"].(string)
				code, _, _ := strings.Cut(s, " ")
				out = append(out, code)
			}
			return out
		}
		batch := `{"resourceType":"Bundle","type":"batch","entry":[` + strings.Join([]string{
			get("Observation/bc-1", `,"ifNoneMatch":"W/\"1\""`),
			get("Observation/bc-1", `,"ifNoneMatch":"W/\"9\""`),
			get("Observation/bc-1", `,"ifModifiedSince":"2100-01-01T00:00:00Z"`),
			get("Observation/bc-1", `,"ifModifiedSince":"2000-01-01T00:00:00Z"`),
			`{"resource":` + obs + `,"request":{"method":"PUT","url":"Observation/bc-1","ifNoneMatch":"*"}}`,
			get("Patient/"+pid, `,"ifNoneMatch":"W/\"1\""`),
			get("Observation/bc-1", `,"ifModifiedSince":"yesterday"`),
			`{"request":{"method":"DELETE","url":"Observation/bc-1","ifNoneMatch":"W/\"1\""}}`,
		}, ",") + `]}`
		want := []string{"304", "200", "304", "200", "412", "304", "400", "412"}
		if got := statuses(c.do("POST", "/fhir", batch)); !slices.Equal(got, want) {
			t.Errorf("batch entries' statuses %v, want %v", got, want)
		}
		tx := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join([]string{
			`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Temperature"}},"request":{"method":"POST","url":"Observation"}}`,
			get("Observation/bc-1", `,"ifNoneMatch":"W/\"1\""`),
			get("Patient/"+pid, `,"ifNoneMatch":"W/\"1\""`),
			get("Patient/"+pid, `,"ifNoneMatch":"W/\"2\""`),
		}, ",") + `]}`
		if got, want := statuses(c.do("POST", "/fhir", tx)), []string{"201", "304", "304", "200"}; !slices.Equal(got, want) {
			t.Errorf("transaction entries' statuses %v, want %v", got, want)
		}
		refused := `{"resourceType":"Bundle","type":"transaction","entry":[` +
			`{"resource":{"resourceType":"Observation","status":"final","code":{"text":"Temperature"}},"request":{"method":"POST","url":"Observation"}},` +
			`{"resource":` + obs + `,"request":{"method":"PUT","url":"Observation/bc-1","ifNoneMatch":"*"}}]}`
		if r := c.do("POST", "/fhir", refused); r.status != 412 || !isOutcome(r) {
			t.Errorf("a transaction whose PUT's ifNoneMatch names the current version: %d %s, want 412", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Observation?code:text=Temperature&_summary=count", ""); fmt.Sprint(r.json(t)["total"]) != "1" {
			t.Errorf("the refused transaction wrote its create: %s", r.body)
		}
	})
}
