package gzipped

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"gzip"}, true},
		{[]string{"GZIP"}, true},
		{[]string{"x-gzip"}, true},
		{[]string{"gzip, deflate, br, zstd"}, true},
		{[]string{"br;q=1.0, gzip;q=0.5"}, true},
		{[]string{"deflate", "gzip"}, true},
		{[]string{"*"}, true},
		{[]string{"gzip;q=0"}, false},
		{[]string{"gzip; q=0.000"}, false},
		{[]string{"identity"}, false},
		{[]string{"br"}, false},
		{[]string{"*;q=0"}, false},
		{[]string{"gzip;q=0, *"}, false},
		{[]string{"gzip, *;q=0"}, true},
	} {
		if got := acceptsGzip(tc.values); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.values, got, tc.want)
		}
	}
}

func TestCompressible(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   bool
	}{
		{[]string{"Content-Type", "text/html; charset=utf-8"}, true},
		{[]string{"Content-Type", "text/css; charset=utf-8"}, true},
		{[]string{"Content-Type", "text/javascript; charset=utf-8"}, true},
		{[]string{"Content-Type", "application/javascript"}, true},
		{[]string{"Content-Type", "application/json"}, true},
		{[]string{"Content-Type", "application/fhir+json; charset=utf-8"}, true},
		{[]string{"Content-Type", "application/fhir+ndjson"}, true},
		{[]string{"Content-Type", "application/fhir+xml"}, true},
		{[]string{"Content-Type", "text/csv; charset=utf-8"}, true},
		{[]string{"Content-Type", "image/svg+xml"}, true},
		{[]string{"Content-Type", "text/plain"}, true},
		{[]string{"Content-Type", "image/png"}, false},
		{[]string{"Content-Type", "application/pdf"}, false},
		{[]string{"Content-Type", "application/octet-stream"}, false},
		{[]string{"Content-Type", "font/woff2"}, false},
		{nil, false},
		{[]string{"Content-Type", "text/event-stream"}, false},
		{[]string{"Content-Type", "text/html", "Content-Encoding", "br"}, false},
		{[]string{"Content-Type", "text/css", "Content-Range", "bytes 0-99/28805"}, false},
	} {
		h := http.Header{}
		for i := 0; i+1 < len(tc.header); i += 2 {
			h.Set(tc.header[i], tc.header[i+1])
		}
		if got := compressible(h); got != tc.want {
			t.Errorf("compressible(%v) = %v, want %v", h, got, tc.want)
		}
	}
}

// TestAnswers: what each answer looks like through Answers to a client
// that takes gzip.
func TestAnswers(t *testing.T) {
	long := strings.Repeat("<tr><td>SMITH, John</td><td>999 000 0018</td></tr>\n", 200)
	for _, tc := range []struct {
		name   string
		method string
		serve  func(w http.ResponseWriter)
		status int
		zipped bool
		body   string
	}{
		{"a long page", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, long)
		}, 200, true, long},
		{"a long page in pieces, its status kept", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusUnprocessableEntity)
			for i := 0; i < len(long); i += 1000 {
				io.WriteString(w, long[i:min(i+1000, len(long))])
			}
		}, 422, true, long},
		{"a long file offering ranges", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/css")
			w.Header().Set("Content-Length", "10200")
			w.Header().Set("Accept-Ranges", "bytes")
			io.WriteString(w, long)
		}, 200, true, long},
		{"a short page", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, long[:4096])
		}, 200, false, long[:4096]},
		{"a long image", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "image/png")
			io.WriteString(w, long)
		}, 200, false, long},
		{"no content", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNoContent)
		}, 204, false, ""},
		{"not modified", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/css")
			w.WriteHeader(http.StatusNotModified)
		}, 304, false, ""},
		{"a HEAD", "HEAD", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, long)
		}, 200, false, long},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(tc.method, "/", nil)
			req.Header.Set("Accept-Encoding", "gzip, deflate, br")
			Answers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tc.serve(w) })).ServeHTTP(rec, req)
			h := rec.Header()
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d", rec.Code, tc.status)
			}
			body := rec.Body.Bytes()
			if tc.zipped {
				if h.Get("Content-Encoding") != "gzip" || h.Get("Vary") != "Accept-Encoding" || h.Get("Content-Length") != "" || h.Get("Accept-Ranges") != "" {
					t.Errorf("headers %v, want Content-Encoding: gzip, Vary: Accept-Encoding, no Content-Length, no Accept-Ranges", h)
				}
				body = gunzip(t, body)
			} else if h.Get("Content-Encoding") != "" || h.Get("Vary") != "" {
				t.Errorf("headers %v, want the answer as it is", h)
			}
			if string(body) != tc.body {
				t.Errorf("body of %d bytes, want %d", len(body), len(tc.body))
			}
		})
	}
	t.Run("refused", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Encoding", "gzip;q=0")
		Answers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, long)
		})).ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != long {
			t.Errorf("Content-Encoding %q, %d bytes; want the page as it is", rec.Header().Get("Content-Encoding"), rec.Body.Len())
		}
	})
}

// TestAnswersFlush: a Flush sends what is written so far, though short,
// compressed where the answer may be; the rest follows in the same
// stream.
func TestAnswersFlush(t *testing.T) {
	for _, tc := range []struct {
		ctype  string
		zipped bool
	}{
		{"application/fhir+ndjson", true},
		{"text/event-stream", false},
	} {
		t.Run(tc.ctype, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Accept-Encoding", "gzip")
			var sent []byte
			Answers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				io.WriteString(w, "first\n")
				http.NewResponseController(w).Flush()
				sent = bytes.Clone(rec.Body.Bytes())
				io.WriteString(w, "second\n")
			})).ServeHTTP(rec, req)
			if !rec.Flushed || len(sent) == 0 {
				t.Fatalf("nothing was sent at the Flush")
			}
			first, all := sent, rec.Body.Bytes()
			if tc.zipped {
				if rec.Header().Get("Content-Encoding") != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", rec.Header().Get("Content-Encoding"))
				}
				zr, err := gzip.NewReader(bytes.NewReader(sent))
				if err != nil {
					t.Fatal(err)
				}
				first = make([]byte, 6)
				if _, err := io.ReadFull(zr, first); err != nil {
					t.Fatalf("what was sent at the Flush does not decompress: %v", err)
				}
				all = gunzip(t, all)
			} else if rec.Header().Get("Content-Encoding") != "" {
				t.Fatalf("Content-Encoding %q, want none", rec.Header().Get("Content-Encoding"))
			}
			if string(first) != "first\n" || string(all) != "first\nsecond\n" {
				t.Errorf("sent %q at the Flush and %q in all, want %q and %q", first, all, "first\n", "first\nsecond\n")
			}
		})
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip data: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("damaged gzip data: %v", err)
	}
	return out
}
