package fhir_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestMetaAddDelete: $meta-add and $meta-delete change the profiles,
// tags and security labels of a resource's current version in place
// (no new version; a read, its search by _tag, _security and _profile
// and the $meta of its type see the change at once), through the write
// path with an event saying so; a deleted resource, the PMI's patients,
// the PAS's records and bad Parameters are refused with an
// OperationOutcome.
func TestMetaAddDelete(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		id := create(t, c, "Observation", `{"resourceType":"Observation","meta":{"profile":["https://example.org/p1"],"tag":[{"system":"urn:test","code":"red"}]},"status":"preliminary","code":{"text":"HR"}}`)
		path := "/fhir/Observation/" + id
		if r := c.do("PUT", path, `{"resourceType":"Observation","id":"`+id+`","meta":{"profile":["https://example.org/p1"],"tag":[{"system":"urn:test","code":"red"}]},"status":"final","code":{"text":"HR"}}`); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		c.do("GET", path, "") // a read the cache may keep
		params := func(meta string) string {
			return `{"resourceType":"Parameters","parameter":[{"name":"meta","valueMeta":` + meta + `}]}`
		}
		// change runs an operation that must answer 200 and returns the
		// meta it answers.
		change := func(op, meta string) map[string]any {
			t.Helper()
			r := c.do("POST", path+"/"+op, params(meta))
			m := r.json(t)
			if r.status != 200 || m["resourceType"] != "Parameters" {
				t.Fatalf("%s: %d %s", op, r.status, r.body)
			}
			p := m["parameter"].([]any)[0].(map[string]any)
			if p["name"] != "return" {
				t.Fatalf("%s parameter %v, want return", op, p["name"])
			}
			return p["valueMeta"].(map[string]any)
		}
		metaString := func(m map[string]any) string {
			m = map[string]any{"profile": m["profile"], "tag": m["tag"], "security": m["security"], "versionId": m["versionId"]}
			b, _ := json.Marshal(m)
			return string(b)
		}
		found := func(q string) bool {
			t.Helper()
			for _, r := range matches(t, c, "Observation?"+q) {
				if r["id"] == id {
					return true
				}
			}
			return false
		}
		if found("_tag=urn:test|blue") {
			t.Fatal("found by a tag it does not have yet")
		}

		got := change("$meta-add", `{"profile":["https://example.org/p2"],"tag":[{"system":"urn:test","code":"blue","display":"Blue"},{"system":"urn:test","code":"red"}],"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]}`)
		want := `{"profile":["https://example.org/p1","https://example.org/p2"],"security":[{"code":"R","system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}],"tag":[{"code":"red","system":"urn:test"},{"code":"blue","display":"Blue","system":"urn:test"}],"versionId":"2"}`
		if metaString(got) != want {
			t.Errorf("$meta-add = %s, want %s", metaString(got), want)
		}
		if read := c.do("GET", path, "").json(t); metaString(read["meta"].(map[string]any)) != want || read["status"] != "final" {
			t.Errorf("read after $meta-add: %v, want meta %s and the version's content", read, want)
		}
		if es, _ := historyPage(t, c, path+"/_history"); len(es) != 2 {
			t.Errorf("history after $meta-add: %d versions, want 2", len(es))
		}
		for _, q := range []string{"_tag=urn:test|blue", "_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R", "_profile=https://example.org/p2", "_tag=urn:test|red", "status=final"} {
			if !found(q) {
				t.Errorf("not found by %s after $meta-add", q)
			}
		}
		if m := c.do("GET", "/fhir/Observation/$meta", ""); !strings.Contains(string(m.body), "blue") {
			t.Errorf("Observation/$meta after $meta-add: %s, want the tag blue", m.body)
		}

		got = change("$meta-delete", `{"profile":["https://example.org/p1"],"tag":[{"system":"urn:test","code":"red","display":"another display"}]}`)
		want = `{"profile":["https://example.org/p2"],"security":[{"code":"R","system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}],"tag":[{"code":"blue","display":"Blue","system":"urn:test"}],"versionId":"2"}`
		if metaString(got) != want {
			t.Errorf("$meta-delete = %s, want %s", metaString(got), want)
		}
		for q, want := range map[string]bool{"_tag=urn:test|red": false, "_profile=https://example.org/p1": false, "_tag=urn:test|blue": true} {
			if found(q) != want {
				t.Errorf("found by %s after $meta-delete: %t, want %t", q, !want, want)
			}
		}
		// Nothing to take out: the meta as it stands, nothing written.
		if got := change("$meta-delete", `{"tag":[{"system":"urn:test","code":"never"}]}`); metaString(got) != want {
			t.Errorf("$meta-delete of nothing = %s, want %s", metaString(got), want)
		}
		// The current version named is changed; another is refused.
		if r := c.do("POST", path+"/_history/2/$meta-add", params(`{"tag":[{"system":"urn:test","code":"green"}]}`)); r.status != 200 || !strings.Contains(string(r.body), "green") {
			t.Errorf("_history/2/$meta-add: %d %s, want 200 with the tag", r.status, r.body)
		}
		events, err := store.FindEvents(context.Background(), db.Reader(), f.trustA.Org.ID, "type = $2", crs.EventResourceMetaChanged)
		if err != nil || len(events) != 3 || !strings.Contains(events[0].Summary, "version 2 unchanged") {
			t.Errorf("meta events: %v %v, want 3 saying version 2 unchanged", events, err)
		}

		pid := matches(t, c, "Patient?_count=1")[0]["id"].(string)
		enc := matches(t, c, "Encounter?_count=1")[0]["id"].(string)
		gone := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"HR"}}`)
		c.do("DELETE", "/fhir/Observation/"+gone, "")
		tag := params(`{"tag":[{"system":"urn:test","code":"x"}]}`)
		for _, tc := range []struct {
			path, body string
			status     int
			says       string
		}{
			{"/fhir/Patient/" + pid + "/$meta-add", tag, 405, "PMI"},
			{"/fhir/Encounter/" + enc + "/$meta-delete", tag, 405, "PAS"},
			{"/fhir/Observation/" + gone + "/$meta-add", tag, 410, "deleted"},
			{"/fhir/Observation/nothing/$meta-add", tag, 404, "not in the record"},
			{path + "/$meta-add", `{"resourceType":"Observation","status":"final"}`, 400, "Parameters"},
			{path + "/$meta-add", `{"resourceType":"Parameters"}`, 400, "meta"},
			{path + "/$meta-add", params(`{"tag":[{"system":"urn:test"}]}`), 400, "code"},
			{path + "/$meta-add", params(`{"source":"urn:x"}`), 400, "source"},
			{"/fhir/AuditEvent/x/$meta-add", tag, 405, "audit"},
		} {
			r := c.do("POST", tc.path, tc.body)
			if r.status != tc.status || !isOutcome(r) || !strings.Contains(string(r.body), tc.says) {
				t.Errorf("POST %s %s: %d %s, want %d naming %s", tc.path, tc.body, r.status, r.body, tc.status, tc.says)
			}
		}

		// The CapabilityStatement lists both on each type whose resources
		// the resource store keeps (it takes an update), but the PMI's
		// Patient.
		cs := c.do("GET", "/fhir/metadata", "").json(t)
		listed := 0
		for _, r := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			r := r.(map[string]any)
			ops, _ := json.Marshal(r["operation"])
			codes, _ := json.Marshal(r["interaction"])
			want := strings.Contains(string(codes), `"update"`) && r["type"] != "Patient"
			if got := strings.Contains(string(ops), `"meta-add"`) && strings.Contains(string(ops), `"meta-delete"`); got != want {
				t.Errorf("CapabilityStatement %s (%s) operations %s: meta-add and meta-delete listed %t, want %t", r["type"], codes, ops, got, want)
			}
			if want {
				listed++
			}
		}
		if listed < 100 {
			t.Errorf("meta-add listed on %d types, want the resource store's", listed)
		}
	})
}

// TestMetaOfEarlierVersion: $meta-add and $meta-delete on
// _history/[vid] change that version's meta in place (its versionId and
// lastUpdated as they were), as its vread and the resource's history
// then show, the current version untouched and its searches unchanged;
// the event and audit record name the version. A version that does not
// exist is 404; a deletion's version, and a PAS record's version, are
// refused with an OperationOutcome. A type's $meta carries the tags'
// displays.
func TestMetaOfEarlierVersion(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startPAS(t, db, clock)
		journey(t, db, f)
		c := f.a
		id := create(t, c, "Observation", `{"resourceType":"Observation","meta":{"tag":[{"system":"urn:test","code":"red"}]},"status":"preliminary","code":{"text":"HR"}}`)
		path := "/fhir/Observation/" + id
		if r := c.do("PUT", path, `{"resourceType":"Observation","id":"`+id+`","status":"final","code":{"text":"HR"}}`); r.status != 200 {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		vread := func(v string) map[string]any {
			t.Helper()
			r := c.do("GET", path+"/_history/"+v, "")
			if r.status != 200 {
				t.Fatalf("vread %s: %d %s", v, r.status, r.body)
			}
			return r.json(t)
		}
		tags := func(res map[string]any) string {
			meta, _ := res["meta"].(map[string]any)
			b, _ := json.Marshal(meta["tag"])
			return string(b)
		}
		v1, v2 := vread("1"), vread("2")
		params := func(meta string) string {
			return `{"resourceType":"Parameters","parameter":[{"name":"meta","valueMeta":` + meta + `}]}`
		}
		blue := params(`{"tag":[{"system":"urn:test","code":"blue","display":"Blue"}]}`)

		r := c.do("POST", path+"/_history/1/$meta-add", blue)
		if r.status != 200 {
			t.Fatalf("_history/1/$meta-add: %d %s", r.status, r.body)
		}
		got := r.json(t)["parameter"].([]any)[0].(map[string]any)["valueMeta"].(map[string]any)
		want := `[{"code":"red","system":"urn:test"},{"code":"blue","display":"Blue","system":"urn:test"}]`
		if tags(map[string]any{"meta": got}) != want || got["versionId"] != "1" {
			t.Errorf("_history/1/$meta-add answered %v, want version 1 with tags %s", got, want)
		}
		after1 := vread("1")
		if tags(after1) != want {
			t.Errorf("vread 1 after $meta-add: tags %s, want %s", tags(after1), want)
		}
		m0, m1 := v1["meta"].(map[string]any), after1["meta"].(map[string]any)
		if m1["versionId"] != "1" || m1["lastUpdated"] != m0["lastUpdated"] || after1["status"] != "preliminary" {
			t.Errorf("vread 1 after $meta-add: meta %v status %v, want version 1 of %v as it was", m1, after1["status"], m0["lastUpdated"])
		}
		if after2, cur := vread("2"), c.do("GET", path, "").json(t); tags(after2) != tags(v2) || tags(cur) != tags(v2) {
			t.Errorf("version 2 after version 1's $meta-add: vread tags %s, read tags %s, want %s", tags(after2), tags(cur), tags(v2))
		}
		es, _ := historyPage(t, c, path+"/_history")
		if len(es) != 2 || tags(es[1]) != want || tags(es[0]) != tags(v2) {
			t.Errorf("history after $meta-add: %d versions, tags of version 1 %s, want 2 versions, %s", len(es), tags(es[len(es)-1]), want)
		}
		for _, e := range matches(t, c, "Observation?_tag=urn:test|blue") {
			if e["id"] == id {
				t.Errorf("found by version 1's tag blue, which the current version does not carry")
			}
		}
		if m := c.do("GET", "/fhir/Observation/$meta", ""); strings.Contains(string(m.body), "blue") {
			t.Errorf("Observation/$meta: %s, want no tag of an earlier version", m.body)
		}
		officer := f.trustA.Actor(crs.RolePrivacyOfficer)
		trail, err := store.NewAuditService(db).SearchAudit(context.Background(), officer, crs.AuditQuery{Count: 100})
		named := false
		for _, rec := range trail {
			named = named || rec.Action == crs.AuditChange && rec.What == "fhir Observation/"+id+" meta of version 1"
		}
		if err != nil || !named {
			t.Errorf("audit trail (%v) has no change naming version 1 of Observation/%s", err, id)
		}
		events, err := store.FindEvents(context.Background(), db.Reader(), f.trustA.Org.ID, "type = $2", crs.EventResourceMetaChanged)
		if err != nil || len(events) != 1 || !strings.Contains(events[0].Summary, "version 1") {
			t.Errorf("meta events: %v %v, want one naming version 1", events, err)
		}

		if r := c.do("POST", path+"/_history/1/$meta-delete", blue); r.status != 200 {
			t.Fatalf("_history/1/$meta-delete: %d %s", r.status, r.body)
		}
		if after := vread("1"); tags(after) != tags(v1) {
			t.Errorf("vread 1 after $meta-delete: tags %s, want %s", tags(after), tags(v1))
		}

		// A tag with a display in use on a current resource: the type's
		// $meta carries its display.
		if r := c.do("POST", path+"/$meta-add", blue); r.status != 200 {
			t.Fatalf("$meta-add: %d %s", r.status, r.body)
		}
		if m := c.do("GET", "/fhir/Observation/$meta", ""); !strings.Contains(string(m.body), `{"code":"blue","display":"Blue","system":"urn:test"}`) {
			t.Errorf("Observation/$meta: %s, want the tag blue with its display", m.body)
		}

		gone := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"HR"}}`)
		c.do("DELETE", "/fhir/Observation/"+gone, "")
		if r := c.do("PUT", "/fhir/Observation/"+gone, `{"resourceType":"Observation","id":"`+gone+`","status":"final","code":{"text":"HR"}}`); r.status/100 != 2 {
			t.Fatalf("update after delete: %d %s", r.status, r.body)
		}
		enc := matches(t, c, "Encounter?_count=1")[0]["id"].(string)
		for _, tc := range []struct {
			path   string
			status int
			says   string
		}{
			{path + "/_history/3/$meta-add", 404, "no version 3"},
			{path + "/_history/0/$meta-add", 400, "not a version"},
			{"/fhir/Observation/" + gone + "/_history/2/$meta-add", 410, "deleted"},
			{"/fhir/Observation/" + gone + "/_history/2/$meta-delete", 410, "deleted"},
			{"/fhir/Encounter/" + enc + "/_history/1/$meta-add", 405, "PAS"},
		} {
			r := c.do("POST", tc.path, blue)
			if r.status != tc.status || !isOutcome(r) || !strings.Contains(string(r.body), tc.says) {
				t.Errorf("POST %s: %d %s, want %d naming %s", tc.path, r.status, r.body, tc.status, tc.says)
			}
		}
	})
}
