package fhir_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestBinaryContent: a Binary is written from its content (a POST or PUT
// whose Content-Type is not FHIR's) and read as its content when no FHIR
// format is asked for, in its own type, with its securityContext in
// X-Security-Context, its ETag, and headers that keep a browser from
// running it; asked for FHIR JSON or XML by name it is the resource,
// its content in base64; versions read as they were; a content too
// large for a request is refused 413; other types still refuse a format
// they do not serve.
func TestBinaryContent(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		c := f.a
		pdf := "%PDF-1.4\n\x00\xff\xfe binary \x80 content\n%%EOF"
		r := c.do("POST", "/fhir/Binary", pdf, "Content-Type", "application/pdf", "X-Security-Context", "DocumentReference/letter-1")
		if r.status != 201 {
			t.Fatalf("create from content: %d %s", r.status, r.body)
		}
		loc := r.header.Get("Location")
		id := strings.TrimPrefix(strings.Split(loc, "/_history/")[0], c.base+"/fhir/Binary/")
		if id == "" || strings.Contains(id, "/") {
			t.Fatalf("Location %q names no Binary", loc)
		}

		raw := func(name, path string, header ...string) response {
			t.Helper()
			r := c.do("GET", path, "", header...)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", name, r.status, r.body)
			}
			return r
		}
		for _, tc := range []struct {
			name   string
			header []string
		}{
			{"no Accept", nil},
			{"any type", []string{"Accept", "*/*"}},
			{"its own type", []string{"Accept", "application/pdf"}},
			{"a browser's", []string{"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}},
		} {
			r := raw(tc.name, "/fhir/Binary/"+id, tc.header...)
			if tc.name == "a browser's" {
				// XML by name (q 0.9) asks for the resource as XML.
				if !strings.Contains(r.header.Get("Content-Type"), "xml") || !bytes.Contains(r.body, []byte("<Binary")) {
					t.Errorf("%s: %s %.200s, want the resource in XML", tc.name, r.header.Get("Content-Type"), r.body)
				}
				continue
			}
			if got := r.header.Get("Content-Type"); got != "application/pdf" {
				t.Errorf("%s: Content-Type %q, want application/pdf", tc.name, got)
			}
			if string(r.body) != pdf {
				t.Errorf("%s: content %q, want %q", tc.name, r.body, pdf)
			}
			for k, want := range map[string]string{"X-Security-Context": "DocumentReference/letter-1", "Etag": `W/"1"`,
				"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"} {
				if got := r.header.Get(k); got != want {
					t.Errorf("%s: %s %q, want %q", tc.name, k, got, want)
				}
			}
		}

		res := raw("FHIR JSON by name", "/fhir/Binary/"+id, "Accept", "application/fhir+json").json(t)
		data, _ := base64.StdEncoding.DecodeString(res["data"].(string))
		sc, _ := res["securityContext"].(map[string]any)
		if res["resourceType"] != "Binary" || res["contentType"] != "application/pdf" || string(data) != pdf || sc["reference"] != "DocumentReference/letter-1" {
			t.Errorf("the resource: %v", res)
		}
		if r := raw("_format", "/fhir/Binary/"+id+"?_format=json"); !bytes.Contains(r.body, []byte(`"resourceType":"Binary"`)) {
			t.Errorf("_format=json: %.200s", r.body)
		}
		if r := c.do("GET", "/fhir/Binary/"+id, "", "If-None-Match", `W/"1"`); r.status != 304 {
			t.Errorf("a read of the version held: %d, want 304", r.status)
		}

		// An update from content, then each version read as it was.
		if r := c.do("PUT", "/fhir/Binary/"+id, "the letter, amended", "Content-Type", "text/plain; charset=utf-8"); r.status != 200 {
			t.Fatalf("update from content: %d %s", r.status, r.body)
		}
		for path, want := range map[string][2]string{
			"/fhir/Binary/" + id:                 {"text/plain; charset=utf-8", "the letter, amended"},
			"/fhir/Binary/" + id + "/_history/1": {"application/pdf", pdf},
			"/fhir/Binary/" + id + "/_history/2": {"text/plain; charset=utf-8", "the letter, amended"},
		} {
			r := raw(path, path)
			if r.header.Get("Content-Type") != want[0] || string(r.body) != want[1] {
				t.Errorf("%s: %s %q, want %s %q", path, r.header.Get("Content-Type"), r.body, want[0], want[1])
			}
		}

		// A Binary sent as a resource is read as its content too, an
		// HTML one told to run nothing.
		html := `<html><script>alert(1)</script></html>`
		hid := create(t, c, "Binary", `{"resourceType":"Binary","contentType":"text/html","data":"`+base64.StdEncoding.EncodeToString([]byte(html))+`"}`)
		if r := raw("HTML", "/fhir/Binary/"+hid); string(r.body) != html || r.header.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
			t.Errorf("an HTML Binary: %q %v", r.body, r.header)
		}

		if r := c.do("POST", "/fhir/Binary", strings.Repeat("x", 13<<20), "Content-Type", "application/pdf"); r.status != 413 || !isOutcome(r) {
			t.Errorf("content too large: %d %.200s", r.status, r.body)
		}
		if r := c.do("GET", "/fhir/Binary/"+hid, "", "Accept", "application/pdf"); r.status != 200 {
			t.Errorf("a Binary read in its own type: %d", r.status)
		}
		pid := create(t, c, "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`)
		if r := c.do("GET", "/fhir/Observation/"+pid, "", "Accept", "application/pdf"); r.status != 406 {
			t.Errorf("an Observation read as a PDF: %d, want 406", r.status)
		}
		if r := c.do("GET", "/fhir/Binary/nothing-here", ""); r.status != 404 || !isOutcome(r) {
			t.Errorf("an unknown Binary: %d %.200s", r.status, r.body)
		}
	})
}
