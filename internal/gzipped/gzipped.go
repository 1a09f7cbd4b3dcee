// Package gzipped sends HTTP answers gzip-compressed to the clients that
// take them so: the FHIR API's answers and the staff screens' pages,
// downloads and assets. An answer longer than a few kilobytes, of a type
// of text, goes compressed (Content-Encoding: gzip, Vary:
// Accept-Encoding) to a client whose Accept-Encoding takes gzip: a page
// of a search, a ward list or the style sheet is a fraction of its size
// on the wire. A shorter answer (a single resource, a redirect, an
// error) goes as it is, without the cost.
package gzipped

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// compressAfter is the size an answer must pass to be compressed.
const compressAfter = 4096

// gzipWriters keeps gzip writers for reuse: each holds some hundreds of
// kilobytes of state.
var gzipWriters = sync.Pool{New: func() any {
	z, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return z
}}

// gzipResponses keeps the writers of answers for reuse, with what they
// held back: a short answer to a client that takes gzip costs no
// allocation for it.
var gzipResponses = sync.Pool{New: func() any { return &gzipResponse{} }}

// Answers serves next with its answers compressed where the client takes
// them so and they are long enough to gain: longer than 4 KB, of a type
// of text (HTML, CSS, JavaScript, JSON, XML and SVG, CSV, plain), not
// coded already and not a part of a range. An answer with no body (204,
// 304, HEAD) goes as it is, as does an event stream, which would hold a
// writer for as long as it is open. A Flush sends what is written so far,
// for an answer that streams.
func Answers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead || !acceptsGzip(r.Header.Values("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		z := gzipResponses.Get().(*gzipResponse)
		z.ResponseWriter, z.status, z.gz, z.decided = w, 0, nil, false
		z.held.Reset()
		defer func() {
			z.finish()
			z.ResponseWriter = nil
			gzipResponses.Put(z)
		}()
		next.ServeHTTP(z, r)
	})
}

// acceptsGzip reports whether an Accept-Encoding takes gzip: named, or
// by * where gzip is not named, with a quality above 0.
func acceptsGzip(values []string) bool {
	gz, star := -1.0, -1.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(k, "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "gzip", "x-gzip":
				gz = max(gz, q)
			case "*":
				star = max(star, q)
			}
		}
	}
	if gz >= 0 {
		return gz > 0
	}
	return star > 0
}

// gzipResponse holds back the first compressAfter bytes of an answer:
// an answer that ends within them is sent as it is, one that passes them
// is sent compressed from its first byte. A Flush sends what is held at
// once, compressed where it may be, for an answer that streams.
type gzipResponse struct {
	http.ResponseWriter
	status  int
	held    bytes.Buffer
	gz      *gzip.Writer
	decided bool
}

func (z *gzipResponse) WriteHeader(status int) {
	if z.decided || z.status != 0 {
		return // only the first status is sent, as net/http does
	}
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified {
		z.decided = true // no body to compress
		z.ResponseWriter.WriteHeader(status)
		return
	}
	z.status = status
}

func (z *gzipResponse) Write(b []byte) (int, error) {
	if !z.decided {
		if z.held.Len()+len(b) <= compressAfter {
			return z.held.Write(b)
		}
		z.decide(true)
		if err := z.sendHeld(); err != nil {
			return 0, err
		}
	}
	if z.gz != nil {
		return z.gz.Write(b)
	}
	return z.ResponseWriter.Write(b)
}

// decide chooses how the answer is sent, compressed where long says it
// is long enough and its headers allow, and sends its status line.
func (z *gzipResponse) decide(long bool) {
	z.decided = true
	h := z.Header()
	if long && compressible(h) {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		h.Del("Content-Length")
		// A range asked for later would be of the answer as it is, not
		// of the compressed one: the ranges are offered only with that.
		h.Del("Accept-Ranges")
		z.gz = gzipWriters.Get().(*gzip.Writer)
		z.gz.Reset(z.ResponseWriter)
	}
	if z.status != 0 {
		z.ResponseWriter.WriteHeader(z.status)
	}
}

// compressible reports whether an answer with these headers may be
// compressed: one not coded already, of a type of text (JSON, XML and
// SVG, NDJSON, HTML, CSS, JavaScript, CSV, plain) other than an event
// stream, and not a part of a range.
func compressible(h http.Header) bool {
	if h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" {
		return false
	}
	ct := strings.ToLower(h.Get("Content-Type"))
	if strings.HasPrefix(ct, "text/event-stream") {
		return false
	}
	return strings.Contains(ct, "json") || strings.Contains(ct, "xml") || strings.Contains(ct, "javascript") || strings.HasPrefix(ct, "text/")
}

func (z *gzipResponse) sendHeld() error {
	if z.held.Len() == 0 {
		return nil
	}
	var err error
	if z.gz != nil {
		_, err = z.gz.Write(z.held.Bytes())
	} else {
		_, err = z.ResponseWriter.Write(z.held.Bytes())
	}
	z.held.Reset()
	return err
}

// Flush sends what is written so far.
func (z *gzipResponse) Flush() {
	if !z.decided {
		z.decide(true)
		z.sendHeld()
	}
	if z.gz != nil {
		z.gz.Flush()
	}
	http.NewResponseController(z.ResponseWriter).Flush()
}

// finish sends an answer that ended within what is held as it is, and
// ends a compressed one.
func (z *gzipResponse) finish() {
	if !z.decided {
		z.decide(false)
		z.sendHeld()
		return
	}
	if z.gz != nil {
		z.gz.Close()
		z.gz.Reset(io.Discard)
		gzipWriters.Put(z.gz)
		z.gz = nil
	}
}

// Unwrap gives http.ResponseController the writer underneath.
func (z *gzipResponse) Unwrap() http.ResponseWriter { return z.ResponseWriter }
