package fhir_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// benchServer is the API over a new SQLite database, or PostgreSQL with
// CRS_BENCH_POSTGRES=1, and a token of a trust's system with every scope.
func benchServer(b *testing.B) (*httptest.Server, string) {
	srv, _, _ := benchServerWith(b, func(*fhir.Server, *store.DB) {})
	return srv, "t"
}

// benchServerWith is benchServer with the server set up by setup first,
// and its database and trust.
func benchServerWith(b *testing.B, setup func(*fhir.Server, *store.DB)) (*httptest.Server, *store.DB, *storetest.Trust) {
	db := storetest.OpenBench(b)
	tr := storetest.NewTrust(b, db, "RBN")
	all, _ := fhir.ParseScopes("system/*.*")
	s := &fhir.Server{Store: db, Resources: store.NewResourceService(db), Auth: bearerAuth{"t": {Actor: tr.Actor(crs.RoleInterface), Scopes: all}}}
	setup(s, db)
	srv := httptest.NewServer(s.Handler())
	b.Cleanup(srv.Close)
	return srv, db, tr
}

func post(b *testing.B, url, token, body string) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", fhir.ContentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("POST %s: %d", url, resp.StatusCode)
	}
}

// BenchmarkSyntheaIngest posts Synthea transaction Bundles, one at a
// time, and reports resources stored per second.
func BenchmarkSyntheaIngest(b *testing.B) {
	files, _ := filepath.Glob("../../shared/data/fhir/synthea/*.json.gz")
	if len(files) == 0 {
		b.Skip("../shared/data/fhir/synthea is absent")
	}
	var bodies []string
	resources := 0
	for _, f := range files[:20] {
		fh, _ := os.Open(f)
		z, _ := gzip.NewReader(fh)
		raw, _ := io.ReadAll(z)
		fh.Close()
		bodies = append(bodies, string(raw))
		resources += strings.Count(string(raw), `"request"`)
	}
	srv, tok := benchServer(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, body := range bodies {
			post(b, srv.URL+"/fhir", tok, body)
		}
	}
	b.ReportMetric(float64(resources*b.N)/b.Elapsed().Seconds(), "resources/s")
}

// BenchmarkRead reads one resource over HTTP from parallel clients.
func BenchmarkRead(b *testing.B) {
	srv, tok := benchServer(b)
	post(b, srv.URL+"/fhir/Patient", tok, `{"resourceType":"Patient","id":"x"}`)
	req, _ := http.NewRequest("PUT", srv.URL+"/fhir/Patient/p1", strings.NewReader(`{"resourceType":"Patient","id":"p1","birthDate":"1970-01-01"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		b.Fatalf("PUT: %v", err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			benchGet(b, srv.URL+"/fhir/Patient/p1", tok)
		}
	})
}

// benchGet reads url with the token, failing the benchmark unless it
// answers 200.
func benchGet(b *testing.B, url, tok string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Errorf("GET %s: %d", url, resp.StatusCode)
	}
}

// BenchmarkTransaction posts transaction Bundles of a new Patient of the
// patient index and an Observation about it from 16 clients, as `crs
// bench fhir` does, and reports transactions per second.
func BenchmarkTransaction(b *testing.B) {
	srv, _, _ := benchServerWith(b, func(s *fhir.Server, db *store.DB) { s.Patients = store.NewPatientService(db) })
	var n atomic.Int64
	b.SetParallelism(8) // 16 clients on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			post(b, srv.URL+"/fhir", "t", fmt.Sprintf(`{"resourceType":"Bundle","type":"transaction","entry":[`+
				`{"fullUrl":"urn:uuid:p","resource":{"resourceType":"Patient","name":[{"family":"Bench%d","given":["Ann"]}],"gender":"female","birthDate":"1970-05-01"},"request":{"method":"POST","url":"Patient"}},`+
				`{"resource":{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"urn:uuid:p"},"effectiveDateTime":"2024-03-01T10:00:00Z","valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}},"request":{"method":"POST","url":"Observation"}}]}`,
				i, 60+i%40))
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}

// discardWriter is a ResponseWriter that keeps the header and forgets
// the body, reused from call to call: a read's own allocations without
// those of an HTTP server or client.
type discardWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkReadHandler reads one resource from the read cache through
// the API's handler alone, with no HTTP: the access check, the cache and
// the audit record, whose write by the committer (in the same process)
// counts in the allocations and the CPU per read.
func BenchmarkReadHandler(b *testing.B) {
	srv, tok := benchServer(b)
	req, _ := http.NewRequest("PUT", srv.URL+"/fhir/Patient/p1", strings.NewReader(`{"resourceType":"Patient","id":"p1","birthDate":"1970-01-01"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		b.Fatalf("PUT: %v", err)
	}
	h := srv.Config.Handler
	get := httptest.NewRequest("GET", "/fhir/Patient/p1", nil)
	get.Header.Set("Authorization", "Bearer "+tok)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, get)
		if w.code != 0 && w.code != 200 {
			b.Fatalf("GET: %d", w.code)
		}
	}
}
