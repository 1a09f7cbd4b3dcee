package fhir_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// record is a small record of two patients, each with observations, and
// a group holding the first.
type record struct {
	p1, p2, group string
	o1, o2, o3    string
	org           string
}

func makeRecord(t *testing.T, c *client) record {
	t.Helper()
	mk := func(typ, body string) string { t.Helper(); return create(t, c, typ, body) }
	var rec record
	rec.org = mk("Organization", `{"resourceType":"Organization","name":"St Elsewhere Hospital"}`)
	rec.p1 = mk("Patient", `{"resourceType":"Patient","name":[{"family":"Zoë"}],"managingOrganization":{"reference":"Organization/`+rec.org+`"}}`)
	rec.p2 = mk("Patient", `{"resourceType":"Patient","name":[{"family":"Smith"}]}`)
	rec.o1 = mk("Observation", fmt.Sprintf(observation, rec.p1, "2024-03-01T10:00:00Z", "72"))
	rec.o2 = mk("Observation", fmt.Sprintf(observation, rec.p1, "2024-03-02T10:00:00Z", "74"))
	rec.o3 = mk("Observation", fmt.Sprintf(observation, rec.p2, "2024-03-03T10:00:00Z", "60"))
	rec.group = mk("Group", `{"resourceType":"Group","type":"person","actual":true,"member":[{"entity":{"reference":"Patient/`+rec.p1+`"}}]}`)
	return rec
}

// TestEverything: Patient/$everything answers the patient and what
// refers to them, paged, and nothing of another patient.
func TestEverything(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		rec := makeRecord(t, c)
		enc := c.do("POST", "/fhir/Encounter", `{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/`+rec.p1+`"}}`).json(t)["id"].(string)
		var got, included []string
		next := "/fhir/Patient/" + rec.p1 + "/$everything?_count=2"
		pages := 0
		for next != "" {
			r := c.do("GET", next, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", next, r.status, r.body)
			}
			m := r.json(t)
			if m["type"] != "searchset" {
				t.Errorf("type %v, want searchset", m["type"])
			}
			es, _ := m["entry"].([]any)
			for _, e := range es {
				res := e.(map[string]any)["resource"].(map[string]any)
				key := res["resourceType"].(string) + "/" + res["id"].(string)
				if e.(map[string]any)["search"].(map[string]any)["mode"] == "include" {
					included = append(included, key)
					continue
				}
				got = append(got, key)
			}
			if pages == 0 {
				// A resource added while paging is found on a later page.
				c.do("POST", "/fhir/Observation", fmt.Sprintf(observation, rec.p1, "2024-03-04T10:00:00Z", "75"))
			}
			pages++
			next = ""
			for _, l := range m["link"].([]any) {
				if l.(map[string]any)["relation"] == "next" {
					next = l.(map[string]any)["url"].(string)
				}
			}
		}
		want := []string{"Patient/" + rec.p1, "Encounter/" + enc, "Group/" + rec.group, "Observation/" + rec.o1, "Observation/" + rec.o2}
		if len(got) != 6 || pages < 3 {
			t.Fatalf("$everything over %d pages = %v, want %v and the observation added", pages, got, want)
		}
		for i, w := range want {
			if got[i] != w {
				t.Errorf("entry %d = %s, want %s (all: %v)", i, got[i], w, got)
			}
		}
		// What the record refers to outside the compartment comes as
		// an include: the organisation managing the patient, with the
		// page of the patient.
		if len(included) != 1 || included[0] != "Organization/"+rec.org {
			t.Errorf("$everything included %v, want the patient's managing organisation Organization/%s", included, rec.org)
		}
		for _, g := range got {
			if strings.HasSuffix(g, rec.p2) || strings.HasSuffix(g, rec.o3) {
				t.Errorf("$everything of one patient holds %s of another", g)
			}
		}
		if r := c.do("GET", "/fhir/Patient/nope/$everything", ""); r.status != 404 || !isOutcome(r) {
			t.Errorf("$everything of no patient: %d", r.status)
		}
		if r := f.b.do("GET", "/fhir/Patient/"+rec.p1+"/$everything", ""); r.status != 404 {
			t.Errorf("another trust's $everything: %d", r.status)
		}
		if r := c.do("GET", "/fhir/Patient/"+rec.p1+"/$everything?colour=red", ""); r.status != 400 || !isOutcome(r) {
			t.Errorf("unknown parameter: %d", r.status)
		}
	})
}

// exportRun kicks off an export and polls it to its manifest, then
// downloads every file: the resources exported, as Type/id, by type.
func exportRun(t *testing.T, c *client, kickoff string) (map[string][]string, map[string]any) {
	t.Helper()
	r := c.do("GET", kickoff, "", "Prefer", "respond-async", "Accept", "application/fhir+json")
	if r.status != 202 {
		t.Fatalf("kick-off %s: %d %s", kickoff, r.status, r.body)
	}
	status := r.header.Get("Content-Location")
	if status == "" {
		t.Fatal("kick-off answered no Content-Location")
	}
	var m map[string]any
	for i := 0; ; i++ {
		r = c.do("GET", status, "")
		if r.status == 200 {
			m = r.json(t)
			break
		}
		if r.status != 202 || i > 2000 {
			t.Fatalf("status %s: %d %s", status, r.status, r.body)
		}
		time.Sleep(5 * time.Millisecond)
	}
	out := map[string][]string{}
	for _, o := range m["output"].([]any) {
		o := o.(map[string]any)
		file := c.do("GET", o["url"].(string), "")
		if file.status != 200 || file.header.Get("Content-Type") != "application/fhir+ndjson" {
			t.Fatalf("file %s: %d %s", o["url"], file.status, file.body)
		}
		if unauth := (&client{t, c.base, ""}).do("GET", o["url"].(string), ""); unauth.status != 401 {
			t.Errorf("file without the token: %d, want 401", unauth.status)
		}
		sc := bufio.NewScanner(bytes.NewReader(file.body))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			res, err := fhir.Decode(sc.Bytes())
			if err != nil {
				t.Fatalf("line of %s is not a valid resource: %v", o["url"], err)
			}
			if res.Type() != o["type"] {
				t.Errorf("a %s in the file of %s", res.Type(), o["type"])
			}
			out[res.Type()] = append(out[res.Type()], res.ID())
		}
	}
	for _, ids := range out {
		sort.Strings(ids)
	}
	return out, m
}

// TestBulkExport: system, patient and group exports with the async
// pattern, _type and _since, cancel, and an export resumed after a
// restart.
func TestBulkExport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		rec := makeRecord(t, c)
		sorted := func(s ...string) []string { sort.Strings(s); return s }
		eq := func(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

		got, m := exportRun(t, c, "/fhir/$export")
		if !eq(got["Patient"], sorted(rec.p1, rec.p2)) || !eq(got["Observation"], sorted(rec.o1, rec.o2, rec.o3)) || len(got["Organization"]) != 1 || len(got["Group"]) != 1 {
			t.Errorf("system export = %v", got)
		}
		if m["requiresAccessToken"] != true || !strings.HasSuffix(m["request"].(string), "/fhir/$export") {
			t.Errorf("manifest = %v", m)
		}
		got, _ = exportRun(t, c, "/fhir/Patient/$export?_type=Patient,Observation")
		if len(got) != 2 || !eq(got["Patient"], sorted(rec.p1, rec.p2)) || !eq(got["Observation"], sorted(rec.o1, rec.o2, rec.o3)) {
			t.Errorf("patient export of Patient,Observation = %v", got)
		}
		got, _ = exportRun(t, c, "/fhir/Patient/$export")
		if got["Organization"] != nil || len(got["Group"]) != 1 {
			t.Errorf("patient export holds %v, want the compartments only (the group refers to a patient, the organisation does not)", got)
		}
		got, _ = exportRun(t, c, "/fhir/Group/"+rec.group+"/$export")
		if !eq(got["Patient"], []string{rec.p1}) || !eq(got["Observation"], sorted(rec.o1, rec.o2)) {
			t.Errorf("group export = %v", got)
		}
		clock.Advance(time.Hour)
		since := clock.Now().UTC().Format(time.RFC3339)
		c.do("PUT", "/fhir/Patient/"+rec.p2, `{"resourceType":"Patient","id":"`+rec.p2+`","name":[{"family":"Smyth"}]}`)
		got, _ = exportRun(t, c, "/fhir/$export?_since="+url.QueryEscape(since))
		if len(got) != 1 || !eq(got["Patient"], []string{rec.p2}) {
			t.Errorf("export _since %s = %v, want the patient changed since", since, got)
		}
		// Another trust and another client cannot see the export.
		r := c.do("GET", "/fhir/$export", "", "Prefer", "respond-async")
		statusURL := r.header.Get("Content-Location")
		if r := f.b.do("GET", statusURL, ""); r.status != 404 {
			t.Errorf("another trust polling: %d, want 404", r.status)
		}
		// DELETE cancels: the status URL is gone.
		if r := c.do("DELETE", statusURL, ""); r.status != 202 {
			t.Errorf("cancel: %d %s", r.status, r.body)
		}
		if r := c.do("GET", statusURL, ""); r.status != 404 {
			t.Errorf("status after cancel: %d, want 404", r.status)
		}
		for _, tc := range []struct {
			path, prefer string
			status       int
		}{
			{"/fhir/$export", "", 400},
			{"/fhir/$export?_type=Nope", "respond-async", 400},
			{"/fhir/$export?_outputFormat=text/csv", "respond-async", 400},
			{"/fhir/$export?_since=soon", "respond-async", 400},
			{"/fhir/Group/nope/$export", "respond-async", 404},
		} {
			if r := c.do("GET", tc.path, "", "Prefer", tc.prefer); r.status != tc.status || !isOutcome(r) {
				t.Errorf("%s: %d %s, want %d", tc.path, r.status, r.body, tc.status)
			}
		}
		ro := &client{t, f.base, "a-patient-read"}
		got, _ = exportRun(t, ro, "/fhir/$export")
		if len(got) != 1 || len(got["Patient"]) != 2 {
			t.Errorf("a Patient.read token's export = %v, want its patients only", got)
		}
		if r := ro.do("GET", "/fhir/$export?_type=Observation", "", "Prefer", "respond-async"); r.status != 403 {
			t.Errorf("a Patient.read token exporting observations: %d, want 403", r.status)
		}

		// A job left accepted by a stop is run by the next start.
		exports := store.NewExportService(db)
		j := &crs.ExportJob{Actor: storetest.NewTrust(t, db, "RFC").Actor(crs.RoleInterface), Grant: "system/*.read", Level: "system", Request: "/fhir/$export"}
		if err := exports.CreateExport(t.Context(), j); err != nil {
			t.Fatal(err)
		}
		pending, err := exports.PendingExports(t.Context())
		if err != nil || len(pending) != 1 || pending[0].ID != j.ID || pending[0].Actor != j.Actor {
			t.Fatalf("pending exports = %v, %v; want the job with its requester", pending, err)
		}
		if err := f.server.ResumeExports(t.Context()); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			got, err := exports.GetExport(t.Context(), j.Actor, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == crs.ExportComplete {
				break
			}
			if got.Status == crs.ExportFailed || i > 2000 {
				t.Fatalf("resumed export: %s %s", got.Status, got.Error)
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
