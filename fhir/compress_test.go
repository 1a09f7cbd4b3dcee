package fhir_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCompression: answers longer than a few kilobytes go gzip-compressed
// to a client whose Accept-Encoding takes gzip, and decompress to what
// goes uncompressed to one that does not; short answers, and clients
// that refuse gzip, get them as they are. A request body sent gzipped is
// read; one that is not gzip data, or in a coding the server does not
// read, is refused with an OperationOutcome.
func TestCompression(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		f := start(t, db, clock, nil)
		raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		send := func(method, path string, body []byte, header ...string) (*http.Response, []byte) {
			t.Helper()
			req, err := http.NewRequest(method, f.base+path, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer a")
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			resp, err := raw.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return resp, b
		}
		sameJSON := func(what string, a, b []byte) {
			t.Helper()
			var x, y any
			if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil || !reflect.DeepEqual(x, y) {
				t.Errorf("%s: the compressed answer decompresses to %d bytes unlike the %d sent uncompressed", what, len(a), len(b))
			}
		}

		p := create(t, f.a, "Patient", `{"resourceType":"Patient","name":[{"family":"Zipped"}]}`)
		for i := range 30 {
			create(t, f.a, "Observation", fmt.Sprintf(observation, p, fmt.Sprintf("2024-03-01T10:%02d:00Z", i), "72"))
		}

		// Long answers: the CapabilityStatement and a page of a search.
		for _, path := range []string{"/fhir/metadata", "/fhir/Observation?_count=30&_sort=date"} {
			plain, want := send("GET", path, nil)
			if plain.Header.Get("Content-Encoding") != "" {
				t.Errorf("%s without Accept-Encoding: Content-Encoding %q", path, plain.Header.Get("Content-Encoding"))
			}
			for _, ae := range []string{"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"} {
				resp, b := send("GET", path, nil, "Accept-Encoding", ae)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
					t.Errorf("%s, Accept-Encoding %q: %d, Content-Encoding %q, Vary %q; want 200 gzip", path, ae, resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
					continue
				}
				got := gunzipped(t, path, b)
				if len(b) >= len(got) {
					t.Errorf("%s: %d bytes compressed from %d", path, len(b), len(got))
				}
				sameJSON(path+" "+ae, got, want)
			}
			for _, ae := range []string{"gzip;q=0", "identity", "br", "*;q=0", "gzip;q=0, *"} {
				resp, b := send("GET", path, nil, "Accept-Encoding", ae)
				if resp.Header.Get("Content-Encoding") != "" {
					t.Errorf("%s, Accept-Encoding %q: Content-Encoding %q, want none", path, ae, resp.Header.Get("Content-Encoding"))
					continue
				}
				sameJSON(path+" "+ae, b, want)
			}
		}
		var bundle struct{ Entry []any }
		_, b := send("GET", "/fhir/Observation?_count=30", nil, "Accept-Encoding", "gzip")
		if err := json.Unmarshal(gunzipped(t, "search", b), &bundle); err != nil || len(bundle.Entry) != 30 {
			t.Errorf("compressed search: %d entries (%v), want 30", len(bundle.Entry), err)
		}
		// XML is compressed alike.
		resp, b := send("GET", "/fhir/Observation?_count=30&_format=xml", nil, "Accept-Encoding", "gzip")
		if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(gunzipped(t, "xml", b), []byte("<?xml")) {
			t.Errorf("XML search with gzip: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
		}

		// Short answers go as they are: a read, an error.
		for _, path := range []string{"/fhir/Patient/" + p, "/fhir/Patient/no-such-patient"} {
			resp, b := send("GET", path, nil, "Accept-Encoding", "gzip")
			if resp.Header.Get("Content-Encoding") != "" || !json.Valid(b) {
				t.Errorf("%s with gzip: Content-Encoding %q, body %.80q", path, resp.Header.Get("Content-Encoding"), b)
			}
		}

		// A gzipped request body is read.
		var zipped bytes.Buffer
		zw := gzip.NewWriter(&zipped)
		zw.Write([]byte(`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0e7a1a9c-3b6e-4c1e-9a41-0d8c1f3a2b10","resource":{"resourceType":"Patient","name":[{"family":"Unzipped"}]},"request":{"method":"POST","url":"Patient"}}]}`))
		zw.Close()
		resp, b = send("POST", "/fhir", zipped.Bytes(), "Content-Type", "application/fhir+json", "Content-Encoding", "gzip")
		if resp.StatusCode != 200 || !strings.Contains(string(b), `"status":"201 Created"`) {
			t.Errorf("gzipped transaction: %d %.300s", resp.StatusCode, b)
		}
		if ids := f.a.searchIDs(t, "/fhir/Patient?family=unzipped"); len(ids) != 1 {
			t.Errorf("the gzipped transaction's patient: found %d", len(ids))
		}
		for _, tc := range []struct {
			coding string
			body   []byte
			status int
			says   string
		}{
			{"gzip", []byte(`{"resourceType":"Patient"}`), 400, "not gzip data"},
			{"gzip", zipped.Bytes()[:len(zipped.Bytes())/2], 400, "gzip"},
			{"br", []byte(`{"resourceType":"Patient"}`), 415, "Content-Encoding: br"},
		} {
			resp, b := send("POST", "/fhir/Patient", tc.body, "Content-Type", "application/fhir+json", "Content-Encoding", tc.coding)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), "OperationOutcome") || !strings.Contains(string(b), tc.says) {
				t.Errorf("POST with Content-Encoding %s: %d %.300s, want %d saying %q", tc.coding, resp.StatusCode, b, tc.status, tc.says)
			}
		}
	})
}
