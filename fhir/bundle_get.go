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
// $everything, each access-checked and audited as ever, conditional on
// the entry's ifNoneMatch and ifModifiedSince as on the headers they
// stand for (304).
func (s *Server) answerGET(r *http.Request, e *txEntry) bundleEntry {
	h := http.Header{}
	if e.ifNoneMatch != "" {
		h.Set("If-None-Match", e.ifNoneMatch)
	}
	if !e.ifModifiedSince.IsZero() {
		h.Set("If-Modified-Since", e.ifModifiedSince.UTC().Format(http.TimeFormat))
	}
	return s.answerRequestWith(r, http.MethodGet, e.get, nil, h)
}

// entryOperation returns the url and the Parameters (as JSON) of an
// entry that invokes an operation by POST (Patient/$match), which the
// API answers rather than the Bundle's write path.
func entryOperation(e map[string]any) (string, []byte, bool) {
	req, _ := e["request"].(map[string]any)
	if m, _ := req["method"].(string); m != http.MethodPost {
		return "", nil, false
	}
	u, _ := req["url"].(string)
	if !strings.HasPrefix(operationName(u), "$") {
		return "", nil, false
	}
	var body []byte
	if res, ok := e["resource"].(map[string]any); ok {
		body, _ = json.Marshal(res)
	}
	return u, body, true
}

// readOnlyOperations are the operations that change nothing, which a
// transaction may invoke (R4 lets a transaction's entries use the
// operations framework; one that writes could not be part of its one
// command).
var readOnlyOperations = map[string]bool{"$match": true, "$expand": true, "$translate": true, "$lookup": true, "$validate-code": true,
	"$validate": true, "$lastn": true, "$meta": true}

// operationName is the operation an entry's url invokes ($match).
func operationName(u string) string {
	path, _, _ := strings.Cut(u, "?")
	return path[strings.LastIndex(path, "/")+1:]
}

// answerRequest answers an entry of a batch or transaction as the API
// answers the same request with the Bundle's credentials: a GET (read,
// vread, search, history, $everything) or an operation posted with its
// Parameters ($match), each access-checked and audited as ever; the
// answer's resource (a searchset, a Parameters) is the entry's.
func (s *Server) answerRequest(r *http.Request, method, u string, body []byte) bundleEntry {
	return s.answerRequestWith(r, method, u, body, nil)
}

// answerRequestWith is answerRequest with the entry's own headers too
// (a GET's conditions).
func (s *Server) answerRequestWith(r *http.Request, method, u string, body []byte, header http.Header) bundleEntry {
	failed := func(o *Outcome) bundleEntry {
		return bundleEntry{Response: &entryResponse{Status: strconv.Itoa(o.Status), Outcome: o.JSON()}}
	}
	if strings.Contains(u, "://") || s.api == nil {
		return failed(outcomeOf(http.StatusBadRequest, "not-supported", "%s %q: name the resource, search or operation relative to the base (Type/id, Type?params, Type/$operation)", method, u))
	}
	req, err := http.NewRequestWithContext(r.Context(), method, "/fhir/"+strings.TrimPrefix(u, "/"), bytes.NewReader(body))
	if err != nil {
		return failed(invalid("invalid", "", "%s %q: %v", method, u, err))
	}
	if q := req.URL.Query(); q.Has("_format") || q.Has("_pretty") {
		// The entry's answer goes inside the batch's Bundle, whose own
		// format the batch's request chose.
		q.Del("_format")
		q.Del("_pretty")
		req.URL.RawQuery = q.Encode()
	}
	req.Host, req.TLS = r.Host, r.TLS
	for _, h := range []string{"Authorization", "X-Request-ID", "X-Correlation-ID"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v) // an entry's failure is logged with the batch's ids
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", ContentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	rec := &entryRecorder{header: http.Header{}, status: http.StatusOK}
	s.api.ServeHTTP(rec, req)
	resp := &entryResponse{Status: strconv.Itoa(rec.status), Etag: rec.header.Get("Etag"), Location: rec.header.Get("Location")}
	if t, err := http.ParseTime(rec.header.Get("Last-Modified")); err == nil {
		resp.LastModified = t.UTC().Format(instant)
	}
	out := json.RawMessage(bytes.TrimSpace(rec.body.Bytes()))
	if rec.status >= 300 {
		if len(out) > 0 {
			resp.Outcome = out
		}
		return bundleEntry{Response: resp}
	}
	e := bundleEntry{Resource: out, Response: resp}
	if path, _, _ := strings.Cut(strings.TrimPrefix(u, "/"), "?"); method == http.MethodGet && strings.Count(path, "/") == 1 && !strings.Contains(path, "$") {
		e.FullURL = baseURL(r) + "/" + path // a read: the resource's own URL
	}
	return e
}

// failedEntry is the error of an entry the API answered with a failure:
// its status, and the issues of its OperationOutcome.
func failedEntry(e bundleEntry) *Outcome {
	status, _ := strconv.Atoi(e.Response.Status)
	if o, ok := readOutcome(status, e.Response.Outcome, ""); ok {
		return o
	}
	return &Outcome{Status: status, Issues: []Issue{{Severity: "error", Code: "processing", Diagnostics: "the request failed with status " + e.Response.Status}}}
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
