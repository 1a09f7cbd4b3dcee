package fhir_test

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
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
	return exportRunWith(t, c, "GET", kickoff, "")
}

// exportRunWith is exportRun of a kick-off by method (GET, or POST of
// a Parameters body), with the Prefer header given (respond-async if
// none).
func exportRunWith(t *testing.T, c *client, method, kickoff, body string, prefer ...string) (map[string][]string, map[string]any) {
	t.Helper()
	r := c.do(method, kickoff, body, "Prefer", cmp.Or(strings.Join(prefer, ""), "respond-async"), "Accept", "application/fhir+json")
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
		r := c.do("GET", "/fhir/$export", "", "Prefer", "respond-async", "Accept", "application/fhir+json")
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
			if r := c.do("GET", tc.path, "", "Prefer", tc.prefer, "Accept", "application/fhir+json"); r.status != tc.status || !isOutcome(r) {
				t.Errorf("%s: %d %s, want %d", tc.path, r.status, r.body, tc.status)
			}
		}
		ro := &client{t, f.base, "a-patient-read"}
		got, _ = exportRun(t, ro, "/fhir/$export")
		if len(got) != 1 || len(got["Patient"]) != 2 {
			t.Errorf("a Patient.read token's export = %v, want its patients only", got)
		}
		if r := ro.do("GET", "/fhir/$export?_type=Observation", "", "Prefer", "respond-async", "Accept", "application/fhir+json"); r.status != 403 {
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

// TestExportKickOffRules: what a kick-off must send and which
// parameters it may, by GET and by POST of a Parameters, each refusal an
// OperationOutcome; a parameter this server does not support is left
// out when the requester asks for lenient handling.
func TestExportKickOffRules(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		rec := makeRecord(t, c)
		future := clock.Now().Add(24 * time.Hour).Format(time.RFC3339)
		params := func(ps ...string) string {
			return `{"resourceType":"Parameters","parameter":[` + strings.Join(ps, ",") + `]}`
		}
		str := func(name, v string) string { return `{"name":"` + name + `","valueString":"` + v + `"}` }
		patient := func(id string) string {
			return `{"name":"patient","valueReference":{"reference":"Patient/` + id + `"}}`
		}
		const fhirJSON, async, lenient = "application/fhir+json", "respond-async", "respond-async, handling=lenient"
		group := "/fhir/Group/" + rec.group + "/$export"
		for _, tc := range []struct {
			name, method, path, body, accept, prefer string
			status                                   int
		}{
			{"no Accept", "GET", "/fhir/Patient/$export", "", "", async, 400},
			{"no Accept, POST", "POST", "/fhir/$export", params(), "", async, 400},
			{"Accept of XML", "GET", "/fhir/$export", "", "application/fhir+xml", async, 202},
			{"Accept */*", "GET", "/fhir/$export", "", "*/*", async, 202},
			{"Accept application/json", "GET", "/fhir/$export", "", "application/json", async, 400},
			{"Accept application/json and FHIR JSON", "GET", "/fhir/$export", "", "application/json, application/fhir+json;q=0.9", async, 202},
			{"Accept FHIR JSON at quality 0", "GET", "/fhir/$export", "", "application/fhir+json;q=0, application/json", async, 400},
			{"no Prefer, POST", "POST", "/fhir/$export", params(), fhirJSON, "", 400},
			{"lenient", "GET", "/fhir/Patient/$export?_type=Patient", "", fhirJSON, lenient, 202},
			{"_since in the future", "GET", "/fhir/Patient/$export?_since=" + url.QueryEscape(future), "", fhirJSON, async, 400},
			{"_since in the future, POST", "POST", "/fhir/Patient/$export", params(`{"name":"_since","valueInstant":"` + future + `"}`), fhirJSON, async, 400},
			{"_since not a date, POST", "POST", "/fhir/$export", params(`{"name":"_since","valueInstant":"0000-60-01T30:70:80+05:00"}`), fhirJSON, async, 400},
			{"_outputFormat, POST", "POST", group, params(str("_outputFormat", "ndjson")), fhirJSON, async, 202},
			{"_outputFormat XML, POST", "POST", group, params(str("_outputFormat", "application/xml")), fhirJSON, async, 400},
			{"_type repeated", "GET", "/fhir/$export?_type=Patient&_type=Observation", "", fhirJSON, async, 202},
			{"_type unknown, POST", "POST", "/fhir/$export", params(str("_type", "MissingType")), fhirJSON, async, 400},
			{"empty Parameters", "POST", "/fhir/Patient/$export", params(), fhirJSON, async, 202},
			{"patient at the system level", "POST", "/fhir/$export", params(patient("123"), patient("456")), fhirJSON, async, 400},
			{"patient at the patient level", "POST", "/fhir/Patient/$export", params(patient("123"), patient("456")), fhirJSON, async, 202},
			{"patient at the group level", "POST", group, params(patient(rec.p1)), fhirJSON, async, 202},
			{"patient of another type", "POST", "/fhir/Patient/$export", `{"resourceType":"Parameters","parameter":[{"name":"patient","valueReference":{"reference":"Group/1"}}]}`, fhirJSON, async, 400},
			{"includeAssociatedData, comma-separated", "GET", "/fhir/Patient/$export?includeAssociatedData=LatestProvenanceResources,RelevantProvenanceResources", "", fhirJSON, async, 202},
			{"includeAssociatedData repeated", "GET", group + "?includeAssociatedData=LatestProvenanceResources&includeAssociatedData=RelevantProvenanceResources", "", fhirJSON, async, 202},
			{"includeAssociatedData, POST", "POST", "/fhir/$export", params(str("includeAssociatedData", "RelevantProvenanceResources")), fhirJSON, async, 202},
			{"includeAssociatedData unsupported", "GET", "/fhir/$export?includeAssociatedData=_Custom", "", fhirJSON, async, 400},
			{"includeAssociatedData unsupported, lenient", "GET", "/fhir/$export?includeAssociatedData=_Custom", "", fhirJSON, lenient, 202},
			{"_typeFilter", "GET", "/fhir/Patient/$export?_typeFilter=" + url.QueryEscape("Observation?date=ge2024-03-02"), "", fhirJSON, async, 202},
			{"_typeFilter repeated", "GET", "/fhir/Patient/$export?_typeFilter=" + url.QueryEscape("Patient?gender=male") + "&_typeFilter=" + url.QueryEscape("Patient?active=true"), "", fhirJSON, async, 202},
			{"_typeFilter, POST", "POST", "/fhir/$export", params(str("_typeFilter", "Observation?status=final")), fhirJSON, async, 202},
			{"_typeFilter of no type", "GET", "/fhir/$export?_typeFilter=" + url.QueryEscape("Nope?status=final"), "", fhirJSON, async, 400},
			{"_typeFilter of an unknown parameter", "GET", "/fhir/$export?_typeFilter=" + url.QueryEscape("Observation?colour=red"), "", fhirJSON, async, 400},
			{"_typeFilter of an unknown parameter, lenient", "GET", "/fhir/$export?_typeFilter=" + url.QueryEscape("Observation?colour=red"), "", fhirJSON, lenient, 202},
			{"unknown parameter, lenient", "GET", "/fhir/$export?colour=red", "", fhirJSON, lenient, 202},
			{"_elements", "GET", "/fhir/$export?_elements=id,Patient.meta&_type=Patient", "", fhirJSON, async, 202},
			{"_elements, POST", "POST", "/fhir/$export", params(str("_elements", "id"), str("_elements", "Patient.meta")), fhirJSON, async, 202},
			{"_elements of no type", "GET", "/fhir/$export?_elements=Nope.id", "", fhirJSON, async, 400},
			{"_elements not at the root", "GET", "/fhir/$export?_elements=Patient.name.family", "", fhirJSON, async, 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				header := []string{"Prefer", tc.prefer}
				if tc.accept != "" {
					header = append(header, "Accept", tc.accept)
				}
				r := c.do(tc.method, tc.path, tc.body, header...)
				if r.status != tc.status {
					t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body, tc.status)
				}
				if tc.status != 202 && !isOutcome(r) {
					t.Errorf("refusal is not an OperationOutcome: %s", r.body)
				}
				if status := r.header.Get("Content-Location"); tc.status == 202 {
					if status == "" {
						t.Fatal("kick-off answered no Content-Location")
					}
					c.do("DELETE", status, "")
				}
			})
		}
	})
}

// exportLines downloads an export's file and reads its resources.
func exportLines(t *testing.T, c *client, fileURL string) []map[string]any {
	t.Helper()
	r := c.do("GET", fileURL, "", "Accept", "application/fhir+ndjson")
	if r.status != 200 {
		t.Fatalf("file %s: %d %s", fileURL, r.status, r.body)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(r.body)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line of %s: %v", fileURL, err)
		}
		out = append(out, m)
	}
	return out
}

// TestExportParameters: what the patient, _elements and
// includeAssociatedData parameters put in an export, the error file of
// a parameter left out, and a file refused to a token that may no
// longer read its type.
func TestExportParameters(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		rec := makeRecord(t, c)
		provenance := func(target, recorded string) string {
			return create(t, c, "Provenance", `{"resourceType":"Provenance","target":[{"reference":"`+target+`"}],"recorded":"`+recorded+`","agent":[{"who":{"display":"Pathology"}}]}`)
		}
		oldO1 := provenance("Observation/"+rec.o1, "2024-03-01T10:00:00Z")
		newO1 := provenance("Observation/"+rec.o1, "2024-03-05T10:00:00Z")
		ofO3 := provenance("Observation/"+rec.o3, "2024-03-03T10:00:00Z")
		params := func(ps ...string) string {
			return `{"resourceType":"Parameters","parameter":[` + strings.Join(ps, ",") + `]}`
		}
		patient := func(id string) string {
			return `{"name":"patient","valueReference":{"reference":"Patient/` + id + `"}}`
		}
		typ := func(t string) string { return `{"name":"_type","valueString":"` + t + `"}` }
		eq := func(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }
		sorted := func(s ...string) []string { sort.Strings(s); return s }

		for _, tc := range []struct {
			name, method, path, body string
			want                     map[string][]string
		}{
			{"patient at the patient level", "POST", "/fhir/Patient/$export", params(patient(rec.p2), typ("Patient,Observation")),
				map[string][]string{"Patient": {rec.p2}, "Observation": {rec.o3}}},
			{"patient of the group", "POST", "/fhir/Group/" + rec.group + "/$export", params(patient(rec.p1), typ("Patient")),
				map[string][]string{"Patient": {rec.p1}}},
			{"patient not of the group", "POST", "/fhir/Group/" + rec.group + "/$export", params(patient(rec.p2)),
				map[string][]string{}},
			{"latest Provenance", "GET", "/fhir/Patient/$export?_type=Observation&includeAssociatedData=LatestProvenanceResources", "",
				map[string][]string{"Observation": sorted(rec.o1, rec.o2, rec.o3), "Provenance": sorted(newO1, ofO3)}},
			{"relevant Provenance of one patient", "POST", "/fhir/Patient/$export", params(patient(rec.p1), typ("Observation"), `{"name":"includeAssociatedData","valueString":"RelevantProvenanceResources"}`),
				map[string][]string{"Observation": sorted(rec.o1, rec.o2), "Provenance": sorted(oldO1, newO1)}},
			{"_typeFilter", "GET", "/fhir/$export?_type=Patient,Observation&_typeFilter=" + url.QueryEscape("Observation?date=lt2024-03-02") + "&_typeFilter=" + url.QueryEscape("Observation?date=ge2024-03-03"), "",
				map[string][]string{"Patient": sorted(rec.p1, rec.p2), "Observation": sorted(rec.o1, rec.o3)}},
			{"_typeFilter of one patient's records", "POST", "/fhir/Patient/$export", params(patient(rec.p1), typ("Observation"), `{"name":"_typeFilter","valueString":"Observation?date=ge2024-03-02"}`),
				map[string][]string{"Observation": {rec.o2}}},
			{"_typeFilter of the group's patients", "GET", "/fhir/Group/" + rec.group + "/$export?_type=Patient&_typeFilter=" + url.QueryEscape("Patient?name=Zo%C3%AB,Smith"), "",
				map[string][]string{"Patient": {rec.p1}}},
			{"_typeFilter matching nothing", "GET", "/fhir/$export?_type=Observation&_typeFilter=" + url.QueryEscape("Observation?status=cancelled"), "",
				map[string][]string{}},
			{"Provenance asked for as a type too", "GET", "/fhir/$export?_type=Observation,Provenance&includeAssociatedData=RelevantProvenanceResources", "",
				map[string][]string{"Observation": sorted(rec.o1, rec.o2, rec.o3), "Provenance": sorted(oldO1, newO1, ofO3)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, _ := exportRunWith(t, c, tc.method, tc.path, tc.body)
				if len(got) != len(tc.want) {
					t.Errorf("exported %v, want %v", got, tc.want)
				}
				for k, ids := range tc.want {
					if !eq(got[k], ids) {
						t.Errorf("exported %s %v, want %v (all: %v)", k, got[k], ids, got)
					}
				}
			})
		}

		t.Run("Provenance of more records than a look-up's page", func(t *testing.T) {
			// 450 records: their Provenance is looked up a page at a
			// time as they are written, the last page at the end.
			var entries []string
			for i := range 450 {
				entries = append(entries, fmt.Sprintf(`{"fullUrl":"urn:uuid:00000000-0000-4000-8000-%012d","resource":{"resourceType":"Condition","subject":{"reference":"Patient/%s"},"note":[{"text":"%d"}]},"request":{"method":"POST","url":"Condition"}}`, i, rec.p2, i))
			}
			r := c.do("POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[`+strings.Join(entries, ",")+`]}`)
			if r.status != 200 {
				t.Fatalf("batch of 450 Conditions: %d %s", r.status, r.body)
			}
			var conditions []string
			for _, e := range r.json(t)["entry"].([]any) {
				loc := e.(map[string]any)["response"].(map[string]any)["location"].(string)
				conditions = append(conditions, strings.Split(loc, "/")[1])
			}
			first := provenance("Condition/"+conditions[0], "2024-04-01T10:00:00Z")
			middleOld := provenance("Condition/"+conditions[230], "2024-04-01T10:00:00Z")
			middleNew := provenance("Condition/"+conditions[230], "2024-04-02T10:00:00+01:00")
			last := provenance("Condition/"+conditions[449], "2024-04-01T10:00:00Z")
			for _, tc := range []struct {
				associated string
				want       []string
			}{
				{"LatestProvenanceResources", sorted(first, middleNew, last)},
				{"RelevantProvenanceResources", sorted(first, middleOld, middleNew, last)},
			} {
				got, _ := exportRunWith(t, c, "GET", "/fhir/$export?_type=Condition&includeAssociatedData="+tc.associated, "")
				if len(got["Condition"]) != 450 || !eq(got["Provenance"], tc.want) {
					t.Errorf("%s: %d Conditions, Provenance %v; want 450 and %v", tc.associated, len(got["Condition"]), got["Provenance"], tc.want)
				}
			}
		})

		t.Run("_elements", func(t *testing.T) {
			_, m := exportRunWith(t, c, "GET", "/fhir/$export?_type=Patient,Observation&_elements=id,Patient.name", "")
			for _, o := range m["output"].([]any) {
				for _, res := range exportLines(t, c, o.(map[string]any)["url"].(string)) {
					var keys []string
					for k := range res {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					// An Observation keeps the elements every one has.
					want := []string{"code", "id", "meta", "resourceType", "status"}
					if res["resourceType"] == "Patient" {
						want = []string{"id", "meta", "name", "resourceType"}
					}
					if !eq(keys, want) {
						t.Errorf("%s/%s has %v, want %v", res["resourceType"], res["id"], keys, want)
					}
					tags, _ := json.Marshal(res["meta"].(map[string]any)["tag"])
					if !strings.Contains(string(tags), `"code":"SUBSETTED"`) {
						t.Errorf("%s/%s is not tagged SUBSETTED: %s", res["resourceType"], res["id"], tags)
					}
				}
			}
		})

		t.Run("a parameter left out", func(t *testing.T) {
			got, m := exportRunWith(t, c, "GET", "/fhir/Patient/$export?_type=Patient&_typeFilter="+url.QueryEscape("Patient?colour=red"), "", "respond-async, handling=lenient")
			if len(got["Patient"]) != 2 {
				t.Errorf("exported %v, want both patients: the filter is left out", got)
			}
			errs := m["error"].([]any)
			if len(errs) != 1 || errs[0].(map[string]any)["type"] != "OperationOutcome" {
				t.Fatalf("manifest error = %v, want one OperationOutcome file", errs)
			}
			lines := exportLines(t, c, errs[0].(map[string]any)["url"].(string))
			if b, _ := json.Marshal(lines); len(lines) != 1 || lines[0]["resourceType"] != "OperationOutcome" || !strings.Contains(string(b), "_typeFilter") {
				t.Errorf("error file = %s, want an OperationOutcome naming _typeFilter", b)
			}
		})

		t.Run("a token narrowed to other types", func(t *testing.T) {
			_, m := exportRunWith(t, c, "GET", "/fhir/$export?_type=Patient,Observation", "")
			ro := &client{t, f.base, "a-patient-read"}
			for _, o := range m["output"].([]any) {
				o := o.(map[string]any)
				want := 200
				if o["type"] != "Patient" {
					want = 403
				}
				if r := ro.do("GET", o["url"].(string), ""); r.status != want {
					t.Errorf("a Patient.read token downloading the %s file: %d, want %d", o["type"], r.status, want)
				}
			}
		})
	})
}
