package fhir

import (
	"net/http"

	"github.com/opencrs/crs"
)

// Every answer of the API carries X-Request-ID (R4's custom header for
// the id of a request and its response): the one the client sent, when
// it is a token of at most 200 letters, digits and -._:, else one the
// server makes. An X-Correlation-ID the client sent (NHS England's APIs
// carry one through every system a call passes) is answered as sent. A
// request that fails on the server is logged with both, so that an
// interface analyst holding a client's log finds the server's line.

// maxRequestID is the longest X-Request-ID or X-Correlation-ID taken.
const maxRequestID = 200

// identified answers each request with its X-Request-ID, and with its
// X-Correlation-ID when it sent one; a request id made by the server is
// set on the request too, for the log (requestIDs).
func identified(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !requestIDToken(id) {
			id = crs.NewID()
			r.Header.Set("X-Request-ID", id)
		}
		h := w.Header()
		h.Set("X-Request-ID", id)
		if c := r.Header.Get("X-Correlation-ID"); requestIDToken(c) {
			h.Set("X-Correlation-ID", c)
		} else {
			r.Header.Del("X-Correlation-ID")
		}
		next.ServeHTTP(w, r)
	})
}

// requestIDToken reports whether a client's request or correlation id
// is one to answer and log: 1 to maxRequestID letters, digits and -._:.
func requestIDToken(s string) bool {
	if s == "" || len(s) > maxRequestID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == ':') {
			return false
		}
	}
	return true
}

// requestIDs are a request's ids for the log: its X-Request-ID, and its
// X-Correlation-ID when it sent one.
func requestIDs(r *http.Request) []any {
	ids := []any{"request_id", r.Header.Get("X-Request-ID")}
	if c := r.Header.Get("X-Correlation-ID"); c != "" {
		ids = append(ids, "correlation_id", c)
	}
	return ids
}
