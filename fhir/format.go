package fhir

import (
	"context"
	"net/http"
	"strconv"
	"strings"
)

// negotiate answers each request in the format it asks for: FHIR JSON
// unless _format (in the query, or in the form of a search sent as
// one) names XML (xml, application/fhir+xml, application/xml) or its
// Accept header prefers FHIR XML to JSON (a wildcard alone is JSON;
// application/fhir+xml named beside */* is XML); a body sent as FHIR
// XML is read as the JSON it stands for. A request that asks only for
// another format is refused with 406 and an OperationOutcome. A request
// that names the format by its generic type (application/json,
// text/json, application/xml, text/xml) and not by FHIR's own is
// answered in the type it named, as R4 asks of a server, so that a
// client that checks the answer's type against what it asked for takes
// it. A Binary is read and written as its content when no FHIR format
// is named (binary.go).
func negotiate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A Binary is read and written as its content (binary.go).
		if wantsRawBinary(r) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), rawBinaryKey{}, true)))
			return
		}
		if sendsRawBinary(r) {
			if err := readRawBinary(r); err != nil {
				writeOutcome(w, asOutcome(err))
				return
			}
		}
		if searchForm(r) {
			// A search's parameters sent as a form: _format and _pretty
			// among them say how to answer, as in a query.
			if err := r.ParseForm(); err != nil {
				writeOutcome(w, outcomeOf(http.StatusBadRequest, "invalid", "the search form cannot be read: %v", err))
				return
			}
		}
		asXML, generic := false, ""
		format := formatParam(r, "_format")
		switch {
		case format != "" && !servesVersionOf(format):
			writeOutcome(w, outcomeOf(http.StatusNotAcceptable, "not-supported", "this server serves FHIR R4 (fhirVersion=4.0), not the version _format=%s asks for", format))
			return
		case format != "" && isJSONFormat(format):
			generic = genericType(mediaType(format))
		case format != "" && isXMLFormat(format):
			asXML, generic = true, genericType(mediaType(format))
		case format != "":
			writeOutcome(w, outcomeOf(http.StatusNotAcceptable, "not-supported", "this server serves FHIR JSON (_format=json or application/fhir+json) and FHIR XML (_format=xml or application/fhir+xml), not %s", format))
			return
		default:
			if a := r.Header.Values("Accept"); len(a) > 0 {
				accept := strings.Join(a, ",")
				json, wild, xml := acceptQ(accept)
				if json <= 0 && wild <= 0 && xml <= 0 {
					writeOutcome(w, outcomeOf(http.StatusNotAcceptable, "not-supported", "this server serves FHIR R4 (fhirVersion=4.0) as JSON (application/fhir+json) and XML (application/fhir+xml), which Accept: %s does not take", accept))
					return
				}
				asXML = xml > json && xml >= wild // named, XML is taken before a wildcard of the same quality
				generic = acceptGeneric(accept, asXML)
			}
		}
		pretty := formatParam(r, "_pretty") == "true"
		switch {
		case asXML:
			x := xmlResponse(w) // served as it is written, _pretty or not
			if generic != "" {
				x.contentType = []string{generic + "; charset=utf-8"}
			}
			defer x.finish()
			w = x
		case pretty:
			x := prettyResponse(w)
			if generic != "" {
				x.contentType = []string{generic + "; charset=utf-8"}
			}
			defer x.finish()
			w = x
		case generic != "":
			w = &renamedResponse{ResponseWriter: w, contentType: []string{generic + "; charset=utf-8"}}
		}
		if ct := r.Header.Get("Content-Type"); !servesVersionOf(ct) {
			writeOutcome(w, outcomeOf(http.StatusUnsupportedMediaType, "not-supported", "the request body is sent as another FHIR version (Content-Type: %s); this server reads FHIR R4 (fhirVersion=4.0)", ct))
			return
		}
		if isXMLFormat(r.Header.Get("Content-Type")) {
			if err := readXMLBody(r); err != nil {
				writeOutcome(w, asOutcome(err))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// searchForm reports whether r is a search whose parameters are sent
// as a form (POST [type]/_search, application/x-www-form-urlencoded).
func searchForm(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_search") &&
		mediaType(r.Header.Get("Content-Type")) == "application/x-www-form-urlencoded"
}

// formatParam is the value of a parameter that says how to answer
// (_format, _pretty): the query's, else, in a search sent as a form
// (read by negotiate), the form's, which R4 gives the same meaning.
func formatParam(r *http.Request, name string) string {
	if strings.Contains(r.URL.RawQuery, name) { // the query is parsed only then
		if v := r.URL.Query().Get(name); v != "" {
			return v
		}
	}
	return r.PostForm.Get(name)
}

// isJSONFormat reports whether a _format value names JSON: json,
// application/fhir+json (its + read as a space when not escaped),
// application/json, application/json+fhir, with parameters or not.
func isJSONFormat(f string) bool {
	switch mediaType(f) {
	case "json", "application/json", "application/fhir+json", "application/fhir json", "application/json+fhir", "application/json fhir":
		return true
	}
	return false
}

// isXMLFormat reports whether a _format value or a Content-Type names
// XML: xml, application/fhir+xml (its + read as a space when not
// escaped), application/xml, application/xml+fhir, text/xml.
func isXMLFormat(f string) bool {
	switch mediaType(f) {
	case "xml", "application/xml", "text/xml", "application/fhir+xml", "application/fhir xml", "application/xml+fhir", "application/xml fhir":
		return true
	}
	return false
}

// servesVersionOf reports whether a media type (of Accept, _format or
// Content-Type) asks for or names the FHIR version this server serves: it names no fhirVersion
// parameter, or names 4.0 or a release of it (4.0.1). R4's version
// parameter otherwise asks for a version the server does not serve,
// which is answered 406, or sends one, 415.
func servesVersionOf(mt string) bool {
	_, params, _ := strings.Cut(mt, ";")
	for _, p := range strings.Split(params, ";") {
		if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "fhirVersion") {
			v = strings.Trim(strings.TrimSpace(v), `"`)
			return v == "4.0" || strings.HasPrefix(v, "4.0.")
		}
	}
	return true
}

// mediaType is a media type without its parameters, in lower case.
func mediaType(f string) string {
	mt, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(f)), ";")
	return strings.TrimSpace(mt)
}

// acceptQ reads an Accept header and returns the highest quality it
// gives to a JSON answer by name (application/fhir+json,
// application/json, application/fhir+ndjson for a bulk export's files),
// to any answer (application/* or */*) and to an XML one by name
// (application/fhir+xml, application/xml, text/xml); 0 for none.
func acceptQ(accept string) (json, wild, xml float64) {
	for _, rng := range strings.Split(accept, ",") {
		parts := strings.Split(rng, ";")
		mt := strings.ToLower(strings.TrimSpace(parts[0]))
		if mt == "" {
			continue
		}
		if !servesVersionOf(rng) {
			continue // another FHIR version is not acceptable in any format
		}
		q := 1.0
		for _, p := range parts[1:] {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = n
				}
			}
		}
		switch {
		case mt == "*/*" || mt == "application/*":
			wild = max(wild, q)
		case strings.HasPrefix(mt, "application/") && strings.Contains(mt, "json") || mt == "text/json":
			json = max(json, q)
		case isXMLFormat(mt):
			xml = max(xml, q)
		}
	}
	return json, wild, xml
}

// genericType is the generic media type a format is named by
// (application/json, text/json, application/xml, text/xml), or "" for
// FHIR's own types and short names (application/fhir+json, json, xml).
func genericType(mt string) string {
	switch mt {
	case "application/json", "text/json", "application/xml", "text/xml":
		return mt
	}
	return ""
}

// acceptGeneric is the generic type an Accept header asks the answer in:
// the first it names of the format chosen (JSON, or XML when asXML),
// provided it does not name FHIR's own type of that format as well;
// "" otherwise (FHIR's own named, or only a wildcard).
func acceptGeneric(accept string, asXML bool) string {
	own, generic := ContentType, ""
	if asXML {
		own = XMLContentType
	}
	for _, rng := range strings.Split(accept, ",") {
		mt := mediaType(rng)
		switch {
		case mt == own:
			return ""
		case generic != "":
		case asXML && (mt == "application/xml" || mt == "text/xml"), !asXML && (mt == "application/json" || mt == "text/json"):
			generic = mt
		}
	}
	return generic
}

// renamedResponse answers the FHIR JSON a handler writes as it is, with
// another Content-Type (a generic one the client asked for); whatever
// else the handler writes (a bulk export's ndjson) passes as it is.
type renamedResponse struct {
	http.ResponseWriter
	contentType []string
	started     bool
}

func (x *renamedResponse) WriteHeader(status int) {
	if !x.started {
		x.started = true
		if h := x.Header(); mediaType(h.Get("Content-Type")) == ContentType {
			h["Content-Type"] = x.contentType[:1:1]
		}
	}
	x.ResponseWriter.WriteHeader(status)
}

func (x *renamedResponse) Write(b []byte) (int, error) {
	if !x.started {
		x.WriteHeader(http.StatusOK)
	}
	return x.ResponseWriter.Write(b)
}

// Unwrap is the response written to, for http.ResponseController.
func (x *renamedResponse) Unwrap() http.ResponseWriter { return x.ResponseWriter }
