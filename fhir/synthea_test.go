package fhir_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// sharedData is the shared synthetic data directory beside the
// repository (../shared/data), or where CRS_SHARED points; the test
// skips, saying so, when it is absent.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	dirs := []string{"../../shared/data"}
	if s := os.Getenv("CRS_SHARED"); s != "" {
		dirs = append([]string{filepath.Join(s, "data")}, dirs...)
	}
	for _, d := range dirs {
		if fi, err := os.Stat(filepath.Join(d, sub)); err == nil && fi.IsDir() {
			return filepath.Join(d, sub)
		}
	}
	t.Skipf("../shared/data/%s is absent (set CRS_SHARED to the shared directory)", sub)
	return ""
}

// TestSyntheaLoad loads every Synthea patient's transaction Bundle
// through POST /fhir, then checks the count of each type and each
// patient's $everything: the patient and every resource of their Bundle
// that refers to them.
func TestSyntheaLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("loads every Synthea Bundle; not with -short")
	}
	dir := sharedData(t, "fhir/synthea")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json.gz"))
	if len(files) == 0 {
		t.Skip(dir + " holds no Synthea Bundles")
	}
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		want := map[string]int{}
		for _, file := range files {
			b := gunzip(t, file)
			var bundle struct {
				Entry []struct {
					FullURL  string
					Resource json.RawMessage
				}
			}
			if err := json.Unmarshal(b, &bundle); err != nil {
				t.Fatalf("%s: %v", filepath.Base(file), err)
			}
			patientURL := ""
			for _, e := range bundle.Entry {
				var r struct{ ResourceType string }
				json.Unmarshal(e.Resource, &r)
				want[r.ResourceType]++
				if r.ResourceType == "Patient" {
					patientURL = e.FullURL
				}
			}
			// What refers to the patient: every entry naming its fullUrl;
			// what they refer to outside the compartment: the Bundle's
			// practitioners, organisations and locations.
			refers, support := 0, 0
			for _, e := range bundle.Entry {
				if e.FullURL != patientURL && strings.Contains(string(e.Resource), `"`+patientURL+`"`) {
					refers++
				}
				var r struct{ ResourceType string }
				json.Unmarshal(e.Resource, &r)
				if r.ResourceType == "Practitioner" || r.ResourceType == "Organization" || r.ResourceType == "Location" {
					support++
				}
			}
			r := c.do("POST", "/fhir", string(b))
			if r.status != 200 {
				t.Fatalf("%s: %d %.2000s", filepath.Base(file), r.status, r.body)
			}
			var resp struct {
				Entry []struct{ Response struct{ Location string } }
			}
			json.Unmarshal(r.body, &resp)
			pid := ""
			for i, e := range bundle.Entry {
				if e.FullURL == patientURL {
					pid = strings.Split(resp.Entry[i].Response.Location, "/")[1]
				}
			}
			if got, inc := everythingCount(t, c, pid); got != refers+1 || inc < support {
				t.Errorf("%s: $everything holds %d resources and includes %d, want the patient and the %d that refer to them, and at least the Bundle's %d practitioners, organisations and locations",
					filepath.Base(file), got, inc, refers, support)
			}
		}
		for typ, n := range want {
			r := c.do("GET", "/fhir/"+typ+"?_summary=count", "").json(t)
			if fmt.Sprint(r["total"]) != fmt.Sprint(n) {
				t.Errorf("%s: %v stored, want %d", typ, r["total"], n)
			}
		}
	})
}

// everythingCount follows a patient's $everything to its last page and
// counts the resources matched (the patient and their record) and those
// included (what the record refers to, counted once).
func everythingCount(t *testing.T, c *client, pid string) (matched, included int) {
	t.Helper()
	inc := map[string]bool{}
	for next := "/fhir/Patient/" + pid + "/$everything?_count=1000"; next != ""; {
		r := c.do("GET", next, "")
		if r.status != 200 {
			t.Fatalf("$everything: %d %.500s", r.status, r.body)
		}
		var b struct {
			Entry []struct {
				FullURL string
				Search  struct{ Mode string }
			}
			Link []struct{ Relation, URL string }
		}
		json.Unmarshal(r.body, &b)
		for _, e := range b.Entry {
			if e.Search.Mode == "include" {
				inc[e.FullURL] = true
			} else {
				matched++
			}
		}
		next = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				next = l.URL
			}
		}
	}
	return matched, len(inc)
}

func gunzip(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return gunzipped(t, file, b)
}

// gunzipped is gzip data b, read from what, decompressed.
func gunzipped(t testing.TB, what string, b []byte) []byte {
	t.Helper()
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not gzip: %v", what, err)
	}
	out, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return out
}

// ukcoreExamples is every UK Core XML example in the shared data and,
// line by line, the JSON the fhir npm package converts it to
// (blackbox/xml2json.js); the test skips, saying why, without the
// examples, node or npm, and with -short.
func ukcoreExamples(t *testing.T) (files, lines []string) {
	t.Helper()
	if testing.Short() {
		t.Skip("converts the UK Core examples with node; not with -short")
	}
	dir := sharedData(t, "fhir/ukcore-examples")
	files, _ = filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) == 0 {
		t.Skip(dir + " holds no XML examples")
	}
	node := blackboxNode(t)
	abs := make([]string, len(files))
	for i, f := range files {
		abs[i], _ = filepath.Abs(f)
	}
	cmd := exec.Command(node, append([]string{"xml2json.js"}, abs...)...)
	cmd.Dir = "blackbox"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xml2json: %v", err)
	}
	lines = strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(files) {
		t.Fatalf("xml2json converted %d of %d files", len(lines), len(files))
	}
	return files, lines
}

// TestUKCoreExamples round-trips the UK Core examples: each, converted
// from XML to JSON by the fhir npm package (blackbox/xml2json.js), is
// written with PUT [type]/[id] and read back the same, but for its meta;
// an AuditEvent is refused, the audit trail being written only by the
// accesses it records, the active Subscription, whose criteria name
// no parameter of R4, is refused, then kept with status off, and the
// Condition whose extension has two values is refused, then kept with
// one.
func TestUKCoreExamples(t *testing.T) {
	files, lines := ukcoreExamples(t)
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		for i, line := range lines {
			name := filepath.Base(files[i])
			var res map[string]any
			if err := json.Unmarshal([]byte(line), &res); err != nil || res["error"] != nil {
				t.Errorf("%s: not converted: %v %v", name, err, res["error"])
				continue
			}
			typ, _ := res["resourceType"].(string)
			id, _ := res["id"].(string)
			if status := res["status"]; typ == "Subscription" && (status == "active" || status == "requested") {
				// The example's criteria name generalPractitioner, which
				// is no search parameter of R4's Patient (it is
				// general-practitioner): a Subscription active on them
				// would never be told of anything, and is refused; kept
				// off, it is a record like any other.
				if r := f.a.do("PUT", "/fhir/"+typ+"/"+id, line); r.status != 422 || !strings.Contains(string(r.body), `"expression":["Subscription.criteria"]`) {
					t.Errorf("%s: PUT a Subscription %s: %d %.300s, want 422 naming its criteria", name, status, r.status, r.body)
				}
				res["status"] = "off"
				off, _ := json.Marshal(res)
				line = string(off)
			}
			if name == "Extension-UKCore-ConditionEpisode-Example.xml" {
				// The example's extension has a value of two types
				// (valueCode and valueCodeableConcept), where R4's
				// Extension.value[x] is one: refused, naming the second;
				// with the code alone, a record like any other.
				if r := f.a.do("PUT", "/fhir/"+typ+"/"+id, line); r.status != 400 || !strings.Contains(string(r.body), `"expression":["Condition.extension[0].valueCodeableConcept"]`) {
					t.Errorf("%s: PUT with two values of one extension: %d %.300s, want 400 naming the second", name, r.status, r.body)
				}
				ext := res["extension"].([]any)[0].(map[string]any)
				delete(ext, "valueCodeableConcept")
				one, _ := json.Marshal(res)
				line = string(one)
			}
			r := f.a.do("PUT", "/fhir/"+typ+"/"+id, line)
			if typ == "AuditEvent" {
				// The audit trail is written only by the accesses it records.
				if r.status != 405 {
					t.Errorf("%s: PUT AuditEvent: %d, want 405", name, r.status)
				}
				continue
			}
			if r.status != 201 && r.status != 200 {
				t.Errorf("%s: PUT %s/%s: %d %.600s", name, typ, id, r.status, r.body)
				continue
			}
			back := f.a.do("GET", "/fhir/"+typ+"/"+id, "")
			var got map[string]any
			json.Unmarshal(back.body, &got)
			for _, m := range []map[string]any{res, got} {
				if meta, ok := m["meta"].(map[string]any); ok {
					delete(meta, "versionId")
					delete(meta, "lastUpdated")
					if len(meta) == 0 {
						delete(m, "meta")
					}
				}
			}
			if !reflect.DeepEqual(res, got) {
				t.Errorf("%s: read back differs:\nsent %.800s\ngot  %.800s", name, line, back.body)
			}
		}
	})
}
