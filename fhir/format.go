package fhir

import (
	"net/http"
	"strconv"
	"strings"
)

// servesJSON refuses, with 406 and an OperationOutcome, a request that
// asks only for what this server does not serve: FHIR XML (or any other
// format) by _format or by every media range of its Accept header.
// application/fhir+json, application/json, json and any wildcard are
// served; so is an Accept that also lists one of them.
func servesJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "_format") { // the query is parsed only then
			if f := r.URL.Query().Get("_format"); f != "" && !isJSONFormat(f) {
				writeOutcome(w, outcomeOf(http.StatusNotAcceptable, "not-supported", "this server serves FHIR JSON (_format=json or application/fhir+json), not %s", f))
				return
			}
		}
		if a := r.Header.Values("Accept"); len(a) > 0 && !acceptsJSON(strings.Join(a, ",")) {
			writeOutcome(w, outcomeOf(http.StatusNotAcceptable, "not-supported", "this server serves FHIR JSON (application/fhir+json), which Accept: %s does not take", strings.Join(a, ",")))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isJSONFormat reports whether a _format value names JSON: json,
// application/fhir+json (its + read as a space when not escaped),
// application/json, application/json+fhir, with parameters or not.
func isJSONFormat(f string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(f)), ";")
	mt = strings.TrimSpace(mt)
	switch mt {
	case "json", "application/json", "application/fhir+json", "application/fhir json", "application/json+fhir", "application/json fhir":
		return true
	}
	return false
}

// acceptsJSON reports whether an Accept header takes a JSON answer: one
// of its media ranges (q above 0) is JSON (application/fhir+json,
// application/json, application/fhir+ndjson for a bulk export's files),
// application/* or */*.
func acceptsJSON(accept string) bool {
	for _, rng := range strings.Split(accept, ",") {
		parts := strings.Split(rng, ";")
		mt := strings.ToLower(strings.TrimSpace(parts[0]))
		if mt == "" {
			continue
		}
		q := 1.0
		for _, p := range parts[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = n
				}
			}
		}
		if q <= 0 {
			continue
		}
		if mt == "*/*" || mt == "application/*" || strings.HasPrefix(mt, "application/") && strings.Contains(mt, "json") {
			return true
		}
	}
	return false
}
