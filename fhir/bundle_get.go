package fhir

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// batchGET returns the url of a batch entry that is a GET.
func batchGET(e map[string]any) (string, bool) {
	req, _ := e["request"].(map[string]any)
	if m, _ := req["method"].(string); m != http.MethodGet {
		return "", false
	}
	u, _ := req["url"].(string)
	return u, u != ""
}

// answerGET answers a batch's GET entry as the API answers the same GET
// with the batch's credentials: a read, vread, search, history or
// $everything, each access-checked and audited as ever.
func (s *Server) answerGET(r *http.Request, u string) bundleEntry {
	failed := func(o *Outcome) bundleEntry {
		return bundleEntry{Response: &entryResponse{Status: strconv.Itoa(o.Status), Outcome: o.JSON()}}
	}
	if strings.Contains(u, "://") || s.api == nil {
		return failed(outcomeOf(http.StatusBadRequest, "not-supported", "GET %q: name the resource or search relative to the base (Type/id, Type?params)", u))
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "/fhir/"+strings.TrimPrefix(u, "/"), nil)
	if err != nil {
		return failed(invalid("invalid", "", "GET %q: %v", u, err))
	}
	if q := req.URL.Query(); q.Has("_format") || q.Has("_pretty") {
		// The entry's answer goes inside the batch's Bundle, whose own
		// format the batch's request chose.
		q.Del("_format")
		q.Del("_pretty")
		req.URL.RawQuery = q.Encode()
	}
	req.Host, req.TLS = r.Host, r.TLS
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	rec := &entryRecorder{header: http.Header{}, status: http.StatusOK}
	s.api.ServeHTTP(rec, req)
	resp := &entryResponse{Status: strconv.Itoa(rec.status), Etag: rec.header.Get("Etag"), Location: rec.header.Get("Location")}
	if t, err := http.ParseTime(rec.header.Get("Last-Modified")); err == nil {
		resp.LastModified = t.UTC().Format(instant)
	}
	body := json.RawMessage(bytes.TrimSpace(rec.body.Bytes()))
	if rec.status >= 300 {
		if len(body) > 0 {
			resp.Outcome = body
		}
		return bundleEntry{Response: resp}
	}
	e := bundleEntry{Resource: body, Response: resp}
	if path, _, _ := strings.Cut(strings.TrimPrefix(u, "/"), "?"); strings.Count(path, "/") == 1 {
		e.FullURL = baseURL(r) + "/" + path // a read: the resource's own URL
	}
	return e
}

// entryRecorder keeps the answer to a batch's GET entry.
type entryRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *entryRecorder) Header() http.Header         { return w.header }
func (w *entryRecorder) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *entryRecorder) WriteHeader(status int)      { w.status = status }
