package fhir_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/news2"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// definedURLs are the urls OpenCRS's definitions define: an extension's
// or a code system's url, an identifier system's uniqueId.
func definedURLs(t *testing.T) map[string]fhir.Resource {
	t.Helper()
	out := map[string]fhir.Resource{}
	for _, r := range fhir.Definitions() {
		u, _ := r["url"].(string)
		if r.Type() == "NamingSystem" {
			u = r["uniqueId"].([]any)[0].(map[string]any)["value"].(string)
		}
		if _, dup := out[r.Type()+"|"+u]; dup || u == "" {
			t.Errorf("%s/%s: url %q is empty or defined twice", r.Type(), r.ID(), u)
		}
		out[r.Type()+"|"+u] = r
		out[u] = r
	}
	return out
}

// TestDefinitionsCoverSource: every url under OpenCRS's namespace the Go
// source of the product names (tests aside) is defined, so that an
// extension, code system or identifier system added without its
// definition fails here.
func TestDefinitionsCoverSource(t *testing.T) {
	defined := definedURLs(t)
	own := regexp.MustCompile(`https://(fhir\.)?opencrs\.org/[A-Za-z0-9./_-]*[A-Za-z0-9_-]`)
	found := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, at := range own.FindAllStringIndex(string(src), -1) {
			u := string(src[at[0]:at[1]])
			if at[1] < len(src) && src[at[1]] == '/' {
				continue // a namespace, named in a comment or a message
			}
			found++
			if defined[u] == nil {
				t.Errorf("%s names %s, which OpenCRS's definitions (fhir/definitions.go) do not define", path, u)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 60 {
		t.Errorf("found %d urls of OpenCRS's in the source; the walk missed the source", found)
	}
}

// TestDefinitionResources: each definition is valid R4 and says what a
// validator needs: an extension's context, url and value types, a code
// system's codes with their meaning, an identifier system's uniqueId.
func TestDefinitionResources(t *testing.T) {
	name := regexp.MustCompile(`^[A-Z][A-Za-z0-9_]{0,254}$`)
	ids := map[string]bool{}
	counts := map[string]int{}
	for _, r := range fhir.Definitions() {
		t.Run(r.Type()+"/"+r.ID(), func(t *testing.T) {
			counts[r.Type()]++
			if err := fhir.Validate(r); err != nil {
				t.Errorf("not valid R4: %v", err)
			}
			if ids[r.Type()+"/"+r.ID()] || !strings.HasPrefix(r.ID(), "opencrs-") {
				t.Errorf("id %q is not opencrs-... or is not unique", r.ID())
			}
			ids[r.Type()+"/"+r.ID()] = true
			if n, _ := r["name"].(string); !name.MatchString(n) || r["status"] != "active" || r["description"] == "" {
				t.Errorf("name %q, status %v, description %v", n, r["status"], r["description"])
			}
			switch r.Type() {
			case "StructureDefinition":
				u := r["url"].(string)
				for k, want := range map[string]any{"fhirVersion": "4.0.1", "kind": "complex-type", "abstract": false, "type": "Extension",
					"baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension", "derivation": "constraint"} {
					if r[k] != want {
						t.Errorf("%s = %v, want %v", k, r[k], want)
					}
				}
				ctx := r["context"].([]any)
				for _, c := range ctx {
					c := c.(map[string]any)
					if typ, _, _ := strings.Cut(c["expression"].(string), "."); c["type"] != "element" || !fhir.IsResourceType(typ) {
						t.Errorf("context %v: not an element of a resource", c)
					}
				}
				els := r["differential"].(map[string]any)["element"].([]any)
				paths := []string{}
				for _, e := range els {
					e := e.(map[string]any)
					paths = append(paths, e["path"].(string))
					switch e["path"] {
					case "Extension.extension":
						if e["max"] != "0" {
							t.Errorf("Extension.extension max %v, want 0", e["max"])
						}
					case "Extension.url":
						if e["fixedUri"] != u {
							t.Errorf("Extension.url fixedUri %v, want %s", e["fixedUri"], u)
						}
					case "Extension.value[x]":
						if types := e["type"].([]any); len(types) == 0 || e["min"] != json.Number("1") {
							t.Errorf("Extension.value[x]: %v", e)
						}
					}
				}
				if !slices.Equal(paths, []string{"Extension", "Extension.extension", "Extension.url", "Extension.value[x]"}) || len(ctx) == 0 {
					t.Errorf("differential %v, context %v", paths, ctx)
				}
				checkSnapshot(t, r, els)
			case "CodeSystem":
				concepts, _ := r["concept"].([]any)
				codes := map[string]bool{}
				for _, c := range concepts {
					c := c.(map[string]any)
					if codes[c["code"].(string)] || c["display"] == "" || c["definition"] == "" {
						t.Errorf("concept %v: a code twice, or without display or definition", c)
					}
					codes[c["code"].(string)] = true
				}
				want := "not-present"
				if len(concepts) > 0 {
					want = "complete"
				}
				if r["content"] != want || r["caseSensitive"] != true {
					t.Errorf("content %v, caseSensitive %v; want %s with %d concepts", r["content"], r["caseSensitive"], want, len(concepts))
				}
			case "NamingSystem":
				uid := r["uniqueId"].([]any)[0].(map[string]any)
				if r["kind"] != "identifier" || uid["type"] != "uri" || !strings.Contains(uid["value"].(string), "opencrs.org/") {
					t.Errorf("kind %v, uniqueId %v", r["kind"], uid)
				}
			}
		})
	}
	if counts["StructureDefinition"] < 40 || counts["CodeSystem"] < 6 || counts["NamingSystem"] < 19 {
		t.Errorf("definitions by type %v", counts)
	}
}

// checkSnapshot checks an extension's snapshot: R4's elements of
// Extension, in R4's order, each with its R4 base, short, definition and
// constraints, constrained as the differential says and nothing more.
func checkSnapshot(t *testing.T, sd fhir.Resource, differential []any) {
	t.Helper()
	var r4 []map[string]any
	d := json.NewDecoder(strings.NewReader(fhir.ExtensionSnapshotJSON))
	d.UseNumber()
	if err := d.Decode(&r4); err != nil {
		t.Fatal(err)
	}
	snap, _ := sd["snapshot"].(map[string]any)
	els, _ := snap["element"].([]any)
	if len(els) != len(r4) || len(r4) != 5 {
		t.Fatalf("snapshot of %d elements, R4's Extension has %d (5)", len(els), len(r4))
	}
	diffOf := map[string]map[string]any{}
	for _, e := range differential {
		e := e.(map[string]any)
		diffOf[e["id"].(string)] = e
	}
	for i, e := range els {
		e := e.(map[string]any)
		base := r4[i]
		if e["id"] != base["id"] || e["path"] != base["path"] {
			t.Errorf("snapshot element %d is %v (%v), R4's is %v", i, e["id"], e["path"], base["id"])
			continue
		}
		id := e["id"].(string)
		if !reflect.DeepEqual(e["base"], base["base"]) || e["short"] == "" || e["definition"] == "" {
			t.Errorf("%s: base %v, short %q, definition %q; R4's base %v", id, e["base"], e["short"], e["definition"], base["base"])
		}
		// What the differential says is in the snapshot; what it does
		// not say is R4's.
		diff := diffOf[id]
		for k, v := range base {
			want := v
			if dv, ok := diff[k]; ok {
				want = dv
			}
			if k == "constraint" {
				continue // checked below, with their source
			}
			if got, _ := json.Marshal(e[k]); string(got) != string(mustJSON(t, want)) {
				t.Errorf("%s.%s = %s, want %s", id, k, got, mustJSON(t, want))
			}
		}
		for k, v := range diff {
			if got, _ := json.Marshal(e[k]); string(got) != string(mustJSON(t, v)) {
				t.Errorf("%s.%s = %s, the differential says %s", id, k, got, mustJSON(t, v))
			}
		}
		var keys []string
		for _, c := range array(e["constraint"]) {
			c := c.(map[string]any)
			keys = append(keys, c["key"].(string))
			if c["source"] == nil || c["expression"] == "" || c["severity"] != "error" {
				t.Errorf("%s: constraint %v has no source, expression or severity error", id, c)
			}
		}
		wantKeys := map[string][]string{"Extension": {"ele-1", "ext-1"}, "Extension.extension": {"ele-1", "ext-1"}, "Extension.value[x]": {"ele-1"}}[id]
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("%s: constraints %v, want %v", id, keys, wantKeys)
		}
		if id == "Extension.extension" {
			slicing, _ := e["slicing"].(map[string]any)
			disc, _ := slicing["discriminator"].([]any)
			if e["max"] != "0" || slicing["rules"] != "open" || len(disc) != 1 || !reflect.DeepEqual(disc[0], map[string]any{"type": "value", "path": "url"}) {
				t.Errorf("Extension.extension: max %v, slicing %v; want max 0, sliced by the value of url, open", e["max"], slicing)
			}
		}
	}
}

// TestUndefinedTerms: the check of what a served resource uses finds an
// extension, code or system OpenCRS does not define, or uses otherwise
// than its definition says.
func TestUndefinedTerms(t *testing.T) {
	for _, tc := range []struct {
		name, json, want string // want: a part of the one line found, "" for none
	}{
		{"defined", `{"resourceType":"DiagnosticReport","extension":[{"url":"https://opencrs.org/fhir/StructureDefinition/hl7-result-status","valueCode":"F"}],
			"meta":{"tag":[{"system":"https://opencrs.org/fhir/CodeSystem/result-review","code":"unacknowledged"}]},
			"identifier":[{"system":"https://opencrs.org/Id/result","value":"r1"}],"code":{"coding":[{"system":"https://opencrs.org/fhir/CodeSystem/laboratory-test","code":"FBC"}]}}`, ""},
		{"section", `{"resourceType":"Composition","section":[{"extension":[{"url":"https://opencrs.org/fhir/StructureDefinition/section-text","valueString":"x"}]}]}`, ""},
		{"no definition", `{"resourceType":"Observation","extension":[{"url":"https://opencrs.org/fhir/StructureDefinition/obx-nope","valueString":"x"}]}`, "obx-nope has no StructureDefinition"},
		{"value type", `{"resourceType":"Observation","extension":[{"url":"https://opencrs.org/fhir/StructureDefinition/obx-units","valueCode":"x"}]}`, "has valueCode"},
		{"context", `{"resourceType":"Patient","extension":[{"url":"https://opencrs.org/fhir/StructureDefinition/obx-units","valueString":"x"}]}`, "is put on Patient"},
		{"code", `{"resourceType":"DiagnosticReport","meta":{"tag":[{"system":"https://opencrs.org/fhir/CodeSystem/result-review","code":"reviewed"}]}}`, `"reviewed" is not a code`},
		{"code system", `{"resourceType":"Flag","code":{"coding":[{"system":"https://opencrs.org/fhir/CodeSystem/nope","code":"a"}]}}`, "no CodeSystem"},
		{"identifier system", `{"resourceType":"Flag","identifier":[{"system":"https://opencrs.org/Id/nope","value":"a"}]}`, "no identifier system"},
		{"identifier by a code", `{"resourceType":"Flag","identifier":[{"system":"https://fhir.opencrs.org/CodeSystem/news2","value":"spo2-scale-2"}]}`, ""},
		{"identifier by no code", `{"resourceType":"Flag","identifier":[{"system":"https://fhir.opencrs.org/CodeSystem/news2","value":"scale-3"}]}`, `"scale-3" is not a code`},
		{"canonical", `{"resourceType":"Questionnaire","url":"https://opencrs.org/fhir/nope"}`, "defined nowhere"},
		{"any string", `{"resourceType":"Flag","text":{"div":"https://opencrs.org/x/y"}}`, "defined nowhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := fhir.Decode([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			got := fhir.UndefinedTerms(r)
			if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
				t.Errorf("found %q, want one line with %q", got, tc.want)
			}
		})
	}
}

// TestDefinitionPackage: the package is a gzipped tar of package/ with
// its manifest, an index naming each file and each file a resource.
func TestDefinitionPackage(t *testing.T) {
	var buf bytes.Buffer
	if err := fhir.WritePackage(&buf, "v1.4.2"); err != nil {
		t.Fatal(err)
	}
	files := readPackage(t, buf.Bytes())
	var manifest struct {
		Name         string            `json:"name"`
		Version      string            `json:"version"`
		FHIRVersions []string          `json:"fhirVersions"`
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(files["package/package.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.Name != "opencrs.fhir" || manifest.Version != "1.4.2" || !slices.Equal(manifest.FHIRVersions, []string{"4.0.1"}) || manifest.Dependencies["hl7.fhir.r4.core"] != "4.0.1" {
		t.Errorf("manifest %+v", manifest)
	}
	var index struct {
		IndexVersion int `json:"index-version"`
		Files        []struct {
			Filename, ResourceType, ID, URL string
		} `json:"files"`
	}
	if err := json.Unmarshal(files["package/.index.json"], &index); err != nil {
		t.Fatal(err)
	}
	if index.IndexVersion != 1 || len(index.Files) != len(fhir.Definitions()) || len(files) != len(index.Files)+2 {
		t.Fatalf("index version %d of %d files; %d definitions, %d files in the package", index.IndexVersion, len(index.Files), len(fhir.Definitions()), len(files))
	}
	for _, e := range index.Files {
		body, ok := files["package/"+e.Filename]
		if !ok {
			t.Errorf("the index names %s, which the package does not hold", e.Filename)
			continue
		}
		r, err := fhir.Decode(body)
		if err != nil {
			t.Errorf("%s: %v", e.Filename, err)
			continue
		}
		u, _ := r["url"].(string)
		if e.Filename != r.Type()+"-"+r.ID()+".json" || e.ResourceType != r.Type() || e.ID != r.ID() || e.URL != u {
			t.Errorf("%s: the index says %+v, the file is %s/%s at %s", e.Filename, e, r.Type(), r.ID(), u)
		}
	}
	var again bytes.Buffer
	if err := fhir.WritePackage(&again, "v1.4.2"); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("a second package differs (%v)", err)
	}
	for crsVersion, want := range map[string]string{"dev": "0.0.0-dev", "0.3.0": "0.3.0", "v2.0.0-rc.1": "2.0.0-rc.1", "abc1234-dirty": "0.0.0-dev"} {
		var b bytes.Buffer
		if err := fhir.WritePackage(&b, crsVersion); err != nil {
			t.Fatal(err)
		}
		var m struct{ Version string }
		json.Unmarshal(readPackage(t, b.Bytes())["package/package.json"], &m)
		if m.Version != want {
			t.Errorf("OpenCRS %s: package version %q, want %q", crsVersion, m.Version, want)
		}
	}
}

// readPackage reads a gzipped tar into its files by name.
func readPackage(t *testing.T, tgz []byte) map[string][]byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(h.Name, "package/") || h.Typeflag != tar.TypeReg || files[h.Name] != nil {
			t.Errorf("%s: not a file of package/, or twice", h.Name)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	return files
}

// TestOwnDefinitionsServed: OpenCRS's definitions are read by id and
// found by url by any trust, and cannot be written; the terminology
// operations know OpenCRS's code systems.
func TestOwnDefinitionsServed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startClinical(t, db)
		c := f.api
		ward := "https://opencrs.org/fhir/StructureDefinition/ward-code"
		audit := "https://opencrs.org/CodeSystem/audit-action"
		mine := create(t, c, "StructureDefinition", `{"resourceType":"StructureDefinition","url":"https://trust.example.nhs.uk/fhir/StructureDefinition/bay","name":"Bay","status":"active","kind":"complex-type","abstract":false,"type":"Extension"}`)
		reads := []struct {
			path   string
			status int
			id     string // the resource answered, or the one entry of the Bundle
			total  string // the Bundle's total, "" for none
		}{
			{"/fhir/StructureDefinition/opencrs-ward-code", 200, "opencrs-ward-code", ""},
			{"/fhir/StructureDefinition/opencrs-ward-code/_history/1", 200, "opencrs-ward-code", ""},
			{"/fhir/StructureDefinition/opencrs-ward-code/_history/2", 404, "", ""},
			{"/fhir/StructureDefinition/opencrs-ward-code/_history", 200, "opencrs-ward-code", ""},
			{"/fhir/CodeSystem/opencrs-audit-action", 200, "opencrs-audit-action", ""},
			{"/fhir/NamingSystem/opencrs-hospital-number", 200, "opencrs-hospital-number", ""},
			{"/fhir/CodeSystem/opencrs-ward-code", 404, "", ""},
			{"/fhir/StructureDefinition?url=" + url.QueryEscape(ward), 200, "opencrs-ward-code", ""},
			{"/fhir/StructureDefinition?url=" + url.QueryEscape(ward) + "&_total=accurate", 200, "opencrs-ward-code", "1"},
			{"/fhir/StructureDefinition?url=" + url.QueryEscape(ward) + "&_summary=count", 200, "", "1"},
			{"/fhir/CodeSystem?url=" + url.QueryEscape(audit), 200, "opencrs-audit-action", ""},
			{"/fhir/NamingSystem?value=" + url.QueryEscape(fhir.SystemHospitalNumber), 200, "opencrs-hospital-number", ""},
			// Found by other parameters too (TestOwnDefinitionsSearched),
			// those the definition does not match finding none.
			{"/fhir/StructureDefinition?url=" + url.QueryEscape(ward) + "&status=active", 200, "opencrs-ward-code", ""},
			{"/fhir/StructureDefinition?url=" + url.QueryEscape(ward) + "&status=draft", 200, "", ""},
			{"/fhir/StructureDefinition?name=Bay&_total=accurate", 200, mine, "1"},
			{"/fhir/CodeSystem?url=" + url.QueryEscape("https://opencrs.org/CodeSystem/nope"), 200, "", ""},
		}
		for _, tc := range reads {
			t.Run(tc.path, func(t *testing.T) {
				r := c.do("GET", tc.path, "")
				if r.status != tc.status {
					t.Fatalf("status %d: %s, want %d", r.status, r.body, tc.status)
				}
				if tc.status != 200 {
					return
				}
				m := r.json(t)
				if m["resourceType"] != "Bundle" {
					if m["id"] != tc.id || fhir.Validate(m) != nil {
						t.Errorf("read %v, want %s, valid", m["id"], tc.id)
					}
					return
				}
				entries, _ := m["entry"].([]any)
				var ids []string
				for _, e := range entries {
					ids = append(ids, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
				}
				want := []string{}
				if tc.id != "" {
					want = []string{tc.id}
				}
				if !slices.Equal(append([]string{}, ids...), want) {
					t.Errorf("found %v, want %v", ids, want)
				}
				if tc.total != "" {
					if got, _ := m["total"].(json.Number); string(got) != tc.total {
						t.Errorf("total %v, want %s", m["total"], tc.total)
					}
				}
			})
		}

		if r := c.do("GET", "/fhir/StructureDefinition/opencrs-ward-code?_format=xml", ""); r.status != 200 || !strings.Contains(string(r.body), `<fixedUri value="`+ward+`"/>`) {
			t.Errorf("read as XML: %d %s", r.status, r.body)
		}

		// The CapabilityStatement says how they are found.
		rest := c.do("GET", "/fhir/metadata", "").json(t)["rest"].([]any)[0].(map[string]any)
		for _, x := range rest["resource"].([]any) {
			x := x.(map[string]any)
			if doc, _ := x["documentation"].(string); slices.Contains([]string{"StructureDefinition", "CodeSystem", "NamingSystem"}, x["type"].(string)) && (!strings.Contains(doc, "OpenCRS's own") || !strings.Contains(doc, "found by any search parameter")) {
				t.Errorf("the CapabilityStatement's %s says %q", x["type"], doc)
			}
		}

		own := `{"resourceType":"CodeSystem","url":"https://opencrs.org/CodeSystem/audit-action","status":"active","content":"complete","concept":[{"code":"x"}]}`
		writes := []struct {
			name, method, path, body, where string
			status                          int
		}{
			{"create", "POST", "/fhir/CodeSystem", own, "CodeSystem.url", 422},
			{"update of its id", "PUT", "/fhir/CodeSystem/opencrs-audit-action", `{"resourceType":"CodeSystem","id":"opencrs-audit-action","url":"https://trust.example.nhs.uk/cs","status":"active","content":"complete"}`, "CodeSystem.id", 422},
			{"conditional update", "PUT", "/fhir/StructureDefinition?url=" + url.QueryEscape(ward), `{"resourceType":"StructureDefinition","url":"` + ward + `","name":"W","status":"draft","kind":"complex-type","abstract":false,"type":"Extension"}`, "StructureDefinition.url", 422},
			{"naming system", "POST", "/fhir/NamingSystem", `{"resourceType":"NamingSystem","name":"H","status":"active","kind":"identifier","date":"2026-01-01","uniqueId":[{"type":"uri","value":"https://opencrs.org/Id/hospital-number"}]}`, "NamingSystem.uniqueId", 422},
			{"in a transaction", "POST", "/fhir", `{"resourceType":"Bundle","type":"transaction","entry":[{"resource":` + own + `,"request":{"method":"POST","url":"CodeSystem"}}]}`, "Bundle.entry[0].resource.url", 422},
			{"a patch", "PATCH", "/fhir/StructureDefinition/" + mine, `[{"op":"replace","path":"/url","value":"` + ward + `"}]`, "StructureDefinition.url", 422},
			{"an id OpenCRS keeps", "PUT", "/fhir/CodeSystem/opencrs-bay", `{"resourceType":"CodeSystem","id":"opencrs-bay","url":"https://trust.example.nhs.uk/cs","status":"active","content":"complete"}`, "CodeSystem.id", 422},
			{"delete", "DELETE", "/fhir/CodeSystem/opencrs-audit-action", "", "CodeSystem.id", 422},
			{"delete in a batch", "POST", "/fhir", `{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"DELETE","url":"StructureDefinition/opencrs-ward-code"}}]}`, "StructureDefinition.id", 200},
			{"the trust's own", "POST", "/fhir/CodeSystem", `{"resourceType":"CodeSystem","url":"https://trust.example.nhs.uk/fhir/CodeSystem/bay","status":"active","content":"complete","concept":[{"code":"A"}]}`, "", 201},
		}
		for _, tc := range writes {
			t.Run(tc.name, func(t *testing.T) {
				var hdr []string
				if tc.method == "PATCH" {
					hdr = []string{"Content-Type", "application/json-patch+json"}
				}
				r := c.do(tc.method, tc.path, tc.body, hdr...)
				if r.status != tc.status {
					t.Fatalf("status %d: %s, want %d", r.status, r.body, tc.status)
				}
				if tc.where != "" && (!strings.Contains(string(r.body), `"`+tc.where+`"`) || !strings.Contains(string(r.body), "opencrs")) {
					t.Errorf("the OperationOutcome does not name %s and the url: %s", tc.where, r.body)
				}
			})
		}
		if r := c.do("GET", "/fhir/CodeSystem/opencrs-audit-action", ""); !strings.Contains(string(r.body), `"refused"`) {
			t.Errorf("after the refused writes, OpenCRS's definition reads %s", r.body)
		}

		// Value sets of whole OpenCRS code systems, for :in.
		banner := "https://opencrs.org/fhir/CodeSystem/banner-alert"
		create(t, c, "ValueSet", `{"resourceType":"ValueSet","url":"https://trust.example.nhs.uk/fhir/ValueSet/news2","status":"active","compose":{"include":[{"system":"`+fhir.SpO2ScaleSystem+`"}]}}`)
		create(t, c, "ValueSet", `{"resourceType":"ValueSet","url":"https://trust.example.nhs.uk/fhir/ValueSet/banner","status":"active","compose":{"include":[{"system":"`+banner+`"}]}}`)
		create(t, c, "Condition", `{"resourceType":"Condition","category":[{"coding":[{"system":"`+banner+`","code":"alert"}]}],"code":{"text":"Difficult airway"},"subject":{"reference":"Patient/`+f.patient.ID+`"}}`)
		ops := []struct {
			path, want string
		}{
			{"/fhir/CodeSystem/$lookup?system=" + url.QueryEscape(audit) + "&code=refused", `"valueString":"Refused"`},
			{"/fhir/CodeSystem/$lookup?system=" + url.QueryEscape(audit) + "&code=refused", `"valueString":"OpenCRS audit action"`},
			{"/fhir/CodeSystem/$lookup?system=" + url.QueryEscape(fhir.ReviewTagSystem) + "&code=nope", `not-found`},
			{"/fhir/CodeSystem/$validate-code?url=" + url.QueryEscape(fhir.ReviewTagSystem) + "&code=carried", `"valueBoolean":true`},
			{"/fhir/CodeSystem/$lookup?system=" + url.QueryEscape(fhir.TestCatalogueSystem) + "&code=FBC", `is OpenCRS's, and lists no codes: The trust's orderable tests`},
			{"/fhir/CodeSystem/$validate-code?url=" + url.QueryEscape(fhir.ReviewTagSystem) + "&code=reviewed", `"valueBoolean":false`},
			{"/fhir/ValueSet/$validate-code?url=" + url.QueryEscape("https://trust.example.nhs.uk/fhir/ValueSet/news2") + "&system=" + url.QueryEscape(fhir.SpO2ScaleSystem) + "&code=spo2-scale-2", `"valueBoolean":true`},
			{"/fhir/Condition?category:in=" + url.QueryEscape("https://trust.example.nhs.uk/fhir/ValueSet/banner"), `"text":"Difficult airway"`},
		}
		for _, tc := range ops {
			t.Run(tc.path, func(t *testing.T) {
				r := c.do("GET", tc.path, "")
				if !strings.Contains(string(r.body), tc.want) {
					t.Errorf("%d %s, want %s in it", r.status, r.body, tc.want)
				}
			})
		}
	})
}

// TestWrittenTermsDefined: everything the server serves of a trust with
// orders, results, vital signs, a SpO2 scale decision, a banner alert
// and the audit trail uses only extensions, codes and systems of
// OpenCRS's own that its definitions define, as they define them.
func TestWrittenTermsDefined(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := startLab(t, db)
		ctx := context.Background()
		doctor, nurse := f.trust.Actor(crs.RoleDoctor), f.trust.Actor(crs.RoleNurse)
		rs := store.NewResourceService(db)

		// An order placed, a second cancelled, and the laboratory's results:
		// one abnormal and acknowledged, then corrected; one unsolicited.
		o := &crs.Order{PatientID: f.patient.ID, Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "Pale", Priority: crs.OrderRoutine}
		if err := f.orders.PlaceOrder(ctx, doctor, o); err != nil {
			t.Fatal(err)
		}
		ue := &crs.Order{PatientID: f.patient.ID, Test: crs.OrderableTest{Code: "UE"}, ClinicalDetails: "Dizzy", Priority: crs.OrderUrgent}
		if err := f.orders.PlaceOrder(ctx, doctor, ue); err != nil {
			t.Fatal(err)
		}
		if err := f.orders.CancelOrder(ctx, doctor, ue.ID, "Requested on the wrong patient"); err != nil {
			t.Fatal(err)
		}
		planned := &crs.Order{PatientID: f.patient.ID, Test: crs.OrderableTest{Code: "FBC"}, ClinicalDetails: "Surveillance", Priority: crs.OrderRoutine,
			Planned: true, DueOn: crs.NewDate(2026, 9, 1)}
		if err := f.orders.PlaceOrder(ctx, doctor, planned); err != nil {
			t.Fatal(err)
		}
		// A test DM01 counts, in the catalogue.
		mri := crs.OrderableTest{Code: "MRIH", Name: "MRI head", Kind: crs.TestRadiology, Destination: "Radiology RIS", DM01Test: "MRI"}
		if _, err := f.orders.LoadCatalogue(ctx, f.trust.System, append(slices.Clone(testCatalogue), mri)); err != nil {
			t.Fatal(err)
		}
		for _, segs := range [][]string{
			{"ORR^O02^ORR_O02", "MSA|AA|X", "ORC|OK|" + o.PlacerNumber + "^OPENCRS|LAB123^LIMS"},
			{"ORU^R01^ORU_R01", "OBR|1|" + o.PlacerNumber + "|LAB123|FBC^Full blood count^L|||202603020930|||||||||||||||202603021000|||F",
				"OBX|1|NM|HB^Haemoglobin^L||95|g/L|115-165|L|||F", "OBX|2|ST|COMM^Comment^L||Slightly haemolysed|furlongs|||||F|||202603020945"},
			{"ORU^R01^ORU_R01", "OBR|1|||CRP^C-reactive protein^L|||202603020800|||||||||||||||202603020900|||F", "OBX|1|NM|CRP^CRP^L||3|mg/L|0-5|N|||F"},
		} {
			if ack := f.send(t, segs...); ack.Code != "AA" {
				t.Fatalf("%s: ACK %s %+v", segs[0], ack.Code, ack.Errors)
			}
		}
		list, err := f.results.UnacknowledgedResults(ctx, doctor, false)
		if err != nil || len(list) == 0 {
			t.Fatalf("worklist: %v, %v", list, err)
		}
		if err := f.results.AcknowledgeResult(ctx, doctor, list[0].ReportID); err != nil {
			t.Fatal(err)
		}
		if ack := f.send(t, "ORU^R01^ORU_R01", "OBR|1|"+o.PlacerNumber+"|LAB123|FBC^Full blood count^L|||202603020930|||||||||||||||202603021100|||C",
			"OBX|1|NM|HB^Haemoglobin^L||97|g/L|115-165|L|||C"); ack.Code != "AA" {
			t.Fatalf("correction: %s %+v", ack.Code, ack.Errors)
		}

		// Vital signs with their NEWS2 score, the SpO2 scale 2 decision,
		// and a problem shown as a banner alert.
		obs := &fhir.ObservationService{Store: db, Resources: rs}
		i := func(n int) *int { return &n }
		b := func(v bool) *bool { return &v }
		fl := func(v float64) *float64 { return &v }
		if err := obs.SetSpO2Scale2(ctx, doctor, f.patient.ID, true, "COPD with hypercapnic respiratory failure"); err != nil {
			t.Fatal(err)
		}
		if err := obs.RecordVitalSigns(ctx, nurse, &crs.VitalSigns{PatientID: f.patient.ID, EffectiveAt: clock.Now().Add(-time.Hour), RespirationRate: i(26), SpO2: i(90),
			OnOxygen: b(true), Systolic: i(130), Diastolic: i(80), Pulse: i(80), Consciousness: news2.Alert, Temperature: fl(37.2)}); err != nil {
			t.Fatal(err)
		}
		problems := &fhir.ProblemService{Store: db, Resources: rs, Records: rs}
		if err := problems.RecordProblem(ctx, doctor, &crs.Problem{Entry: crs.Entry{PatientID: f.patient.ID}, Code: "195967001", Display: "Asthma", ClinicalStatus: "active", Verification: "confirmed", Alert: true}); err != nil {
			t.Fatal(err)
		}

		// Everything served, type by type, page by page; and the audit
		// trail, refused accesses among it.
		served := 0
		check := func(path string) {
			for next := path; next != ""; {
				r := f.api.do("GET", next, "")
				if r.status != 200 {
					t.Fatalf("GET %s: %d %s", next, r.status, r.body)
				}
				m := r.json(t)
				for _, e := range array(m["entry"]) {
					res := fhir.Resource(e.(map[string]any)["resource"].(map[string]any))
					served++
					for _, line := range fhir.UndefinedTerms(res) {
						t.Errorf("%s/%s: %s", res.Type(), res.ID(), line)
					}
				}
				next = nextLink(m)
			}
		}
		for _, typ := range []string{"ActivityDefinition", "ServiceRequest", "DiagnosticReport", "Observation", "Flag", "Condition", "Patient"} {
			check("/fhir/" + typ + "?_count=5")
		}
		check("/fhir/DiagnosticReport/" + list[0].ReportID + "/_history")
		// And whatever else the resource store holds, of every type.
		stored, _, err := rs.SearchResources(ctx, f.trust.System, crs.ResourceQuery{Count: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stored {
			res, err := fhir.Decode(s.Body)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range fhir.UndefinedTerms(res) {
				t.Errorf("stored %s/%s: %s", s.Type, s.ID, line)
			}
		}
		if served < 15 || len(stored) < 15 {
			t.Errorf("%d resources served, %d stored; the fixture wrote fewer than it should", served, len(stored))
		}
	})
}

// TestAuditEventTermsDefined: the audit trail as AuditEvent, a refused
// access among it, uses only OpenCRS's defined codes and systems.
func TestAuditEventTermsDefined(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		pid := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Audit"}]}`)
		f.a.do("GET", "/fhir/Patient/"+pid, "")
		if _, err := store.NewUserService(db).Authenticate(t.Context(), f.trustA.Users[crs.RoleDoctor].Username, "not the password"); err == nil {
			t.Fatal("a wrong password logged in")
		}
		if err := db.Flush(t.Context()); err != nil {
			t.Fatal(err)
		}
		r := f.a.do("GET", "/fhir/AuditEvent?_count=100", "")
		m := r.json(t)
		refused := false
		for _, e := range array(m["entry"]) {
			res := fhir.Resource(e.(map[string]any)["resource"].(map[string]any))
			refused = refused || strings.Contains(string(mustJSON(t, res)), `"code":"refused"`)
			for _, line := range fhir.UndefinedTerms(res) {
				t.Errorf("AuditEvent/%s: %s", res.ID(), line)
			}
		}
		if r.status != 200 || len(array(m["entry"])) < 2 || !refused {
			t.Errorf("%d: %d AuditEvents, a refused one %v: %s", r.status, len(array(m["entry"])), refused, r.body)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
