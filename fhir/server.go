package fhir

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/opencrs/crs"
)

// ContentType is the media type of FHIR JSON.
const ContentType = "application/fhir+json"

// maxBody is the largest request body read.
const maxBody = 16 << 20

// maxBodyHint is the most read of a request's body into a buffer made
// before the body is sent, at the length it says it has.
const maxBodyHint = 4 << 20

// Server is the FHIR R4 API of a trust's record, served under /fhir.
type Server struct {
	Store     crs.Store         // the one write path
	Resources crs.ResourceStore // reads of the resource store
	Auth      Authenticator     // who a request acts for, with its scopes
	// Terminology is the trusts' SNOMED CT releases: a Condition or
	// AllergyIntolerance coded with a concept unknown to the trust's
	// loaded release is refused, and the terminology operations, value
	// sets and :below and :above read them. nil checks nothing and holds
	// no release.
	Terminology crs.TerminologyService
	// SNOMEDSample says the trusts' releases are samples (crs demo's few
	// dozen concepts), not releases: a concept outside one is not refused
	// on a write, while the terminology operations answer from it.
	SNOMEDSample bool
	Logger       *slog.Logger
	Exports      crs.ExportStore // bulk export jobs and their files; nil for none
	Audit        crs.AuditTrail  // the audit trail, served as AuditEvent; nil for none
	// Notifications is the queue of FHIR Subscription notifications,
	// delivered by RunNotifications; nil sends none (they stay queued).
	Notifications crs.NotificationQueue

	// Patients, when set, serves Patient from the patient master index
	// (patient_rest.go); without it Patient is a resource like any other.
	Patients crs.PatientService
	// Core, when set, serves the typed administrative core read only
	// (core.go).
	Core *Core

	// BaseURL is the service base as clients reach it, when that is not
	// what the request says (a trust's API gateway or TLS-terminating
	// proxy in front of crs): "https://fhir.example.nhs.uk/fhir". Every
	// URL the API writes (links, Location, fullUrl, the token endpoint a
	// SMART assertion's aud must name, export files) starts with it.
	// "" takes the scheme and host of each request (base.go).
	BaseURL string
	// TrustProxy believes the X-Forwarded-Proto and X-Forwarded-Host of
	// the proxy in front of crs for the base of each request, when
	// BaseURL is not set.
	TrustProxy bool

	exportMu  sync.Mutex
	exporting map[string]context.CancelFunc // the exports running, by job
	exportWG  sync.WaitGroup

	cacheOnce sync.Once
	readCache *readCache // read_cache.go; nil without a Store

	api http.Handler // what Handler returned: a batch's GET entries are answered through it
	mux *http.ServeMux
}

// Principal is who a FHIR request acts for: the actor its changes and
// reads are checked, audited and scoped as, and the SMART scopes its
// token was given.
type Principal struct {
	Actor  crs.Actor
	Scopes Scopes
}

// Authenticator says who a request acts for, from its bearer token;
// EUNAUTHORIZED when it carries none that is valid.
type Authenticator interface {
	Authenticate(r *http.Request) (*Principal, error)
}

// Handler returns the API's routes, under /fhir.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/metadata", s.handleMetadata)
	mux.HandleFunc("GET /fhir/.well-known/smart-configuration", s.handleSMARTConfiguration)
	if t, ok := s.Auth.(http.Handler); ok {
		mux.Handle("POST /fhir/token", t)
	}
	mux.Handle("GET /fhir/_history", s.authed(s.handleHistory))
	mux.Handle("POST /fhir", s.authed(s.handleBundle))
	mux.Handle("POST /fhir/{$}", s.authed(s.handleBundle))
	mux.Handle("GET /fhir", s.authed(s.handleSystemSearch))
	mux.Handle("GET /fhir/{$}", s.authed(s.handleSystemSearch))
	mux.Handle("POST /fhir/_search", s.authed(s.handleSystemSearch))
	mux.Handle("GET /fhir/{type}", s.authed(s.handleSearch))
	// A type's URL with a trailing slash is the type's, as the base's is.
	mux.Handle("GET /fhir/{type}/{$}", s.authed(s.handleSearch))
	mux.Handle("POST /fhir/{type}/{$}", s.authed(s.handleCreate))
	mux.Handle("POST /fhir/{type}/_search", s.authed(s.handleSearch))
	mux.Handle("POST /fhir/{type}", s.authed(s.handleCreate))
	mux.Handle("GET /fhir/{type}/_history", s.authed(s.handleHistory))
	mux.Handle("GET /fhir/{type}/{id}", s.authed(s.handleRead))
	mux.Handle("PUT /fhir/{type}/{id}", s.authed(s.handleUpdate))
	mux.Handle("DELETE /fhir/{type}/{id}", s.authed(s.handleDelete))
	mux.Handle("PATCH /fhir/{type}/{id}", s.authed(s.handlePatch))
	mux.Handle("GET /fhir/Patient/{id}/$everything", s.authed(s.handleEverything))
	mux.Handle("GET /fhir/Encounter/{id}/$everything", s.authed(s.handleEncounterEverything))
	mux.Handle("POST /fhir/Patient/$match", s.authed(s.handleMatch))
	mux.Handle("GET /fhir/Composition/{id}/$document", s.authed(s.handleDocument))
	mux.Handle("POST /fhir/Composition/{id}/$document", s.authed(s.handleDocument))
	mux.Handle("GET /fhir/Composition/$document", s.authed(s.handleDocument))
	mux.Handle("POST /fhir/Composition/$document", s.authed(s.handleDocument))
	mux.Handle("GET /fhir/Observation/$lastn", s.authed(s.handleLastN))
	mux.Handle("POST /fhir/Observation/$lastn", s.authed(s.handleLastN))
	mux.Handle("POST /fhir/{type}/$validate", s.authed(s.handleValidate))
	mux.Handle("POST /fhir/{type}/{id}/$validate", s.authed(s.handleValidate))
	mux.Handle("GET /fhir/$meta", s.authed(s.handleMetaInUse))
	mux.Handle("POST /fhir/$meta", s.authed(s.handleMetaInUse))
	mux.Handle("GET /fhir/{type}/$meta", s.authed(s.handleMetaInUse))
	mux.Handle("POST /fhir/{type}/$meta", s.authed(s.handleMetaInUse))
	mux.Handle("POST /fhir/{type}/{id}/$meta-add", s.authed(s.handleMetaAdd))
	mux.Handle("POST /fhir/{type}/{id}/$meta-delete", s.authed(s.handleMetaDelete))
	mux.Handle("POST /fhir/{type}/{id}/_history/{vid}/$meta-add", s.authed(s.handleMetaAdd))
	mux.Handle("POST /fhir/{type}/{id}/_history/{vid}/$meta-delete", s.authed(s.handleMetaDelete))
	mux.Handle("GET /fhir/{type}/{id}/$meta", s.authed(s.handleMeta))
	mux.Handle("POST /fhir/{type}/{id}/$meta", s.authed(s.handleMeta))
	mux.Handle("GET /fhir/ValueSet/$expand", s.authed(s.handleValueSetExpand))
	mux.Handle("GET /fhir/ValueSet/{id}/$expand", s.authed(s.handleValueSetExpand))
	mux.Handle("GET /fhir/CodeSystem/$lookup", s.authed(s.handleCodeSystemLookup))
	mux.Handle("GET /fhir/CodeSystem/$subsumes", s.authed(s.handleCodeSystemSubsumes))
	mux.Handle("POST /fhir/EpisodeOfCare/{id}/$rtt-decision", s.authed(s.handleRTTDecision))
	mux.Handle("GET /fhir/ConceptMap/$translate", s.authed(s.handleConceptMapTranslate))
	mux.Handle("POST /fhir/ConceptMap/$translate", s.authed(s.handleConceptMapTranslate))
	mux.Handle("GET /fhir/ConceptMap/{id}/$translate", s.authed(s.handleConceptMapTranslate))
	mux.Handle("POST /fhir/ConceptMap/{id}/$translate", s.authed(s.handleConceptMapTranslate))
	mux.Handle("POST /fhir/CodeSystem/$subsumes", s.authed(s.handleCodeSystemSubsumes))
	mux.Handle("POST /fhir/ValueSet/$expand", s.authed(s.handleValueSetExpand))
	mux.Handle("POST /fhir/ValueSet/{id}/$expand", s.authed(s.handleValueSetExpand))
	mux.Handle("POST /fhir/CodeSystem/$lookup", s.authed(s.handleCodeSystemLookup))
	mux.Handle("GET /fhir/ValueSet/$validate-code", s.authed(s.handleValueSetValidateCode))
	mux.Handle("GET /fhir/ValueSet/{id}/$validate-code", s.authed(s.handleValueSetValidateCode))
	mux.Handle("GET /fhir/CodeSystem/$validate-code", s.authed(s.handleCodeSystemValidateCode))
	mux.Handle("POST /fhir/ValueSet/$validate-code", s.authed(s.handleValueSetValidateCode))
	mux.Handle("POST /fhir/ValueSet/{id}/$validate-code", s.authed(s.handleValueSetValidateCode))
	mux.Handle("POST /fhir/CodeSystem/$validate-code", s.authed(s.handleCodeSystemValidateCode))
	mux.Handle("GET /fhir/AuditEvent", s.authed(s.handleAuditEventSearch))
	mux.Handle("POST /fhir/AuditEvent/_search", s.authed(s.handleAuditEventSearch))
	for _, m := range []string{"POST /fhir/AuditEvent", "PUT /fhir/AuditEvent", "DELETE /fhir/AuditEvent", "PUT /fhir/AuditEvent/{id}", "PATCH /fhir/AuditEvent", "PATCH /fhir/AuditEvent/{id}", "DELETE /fhir/AuditEvent/{id}"} {
		mux.HandleFunc(m, refuseAuditWrite)
	}
	mux.Handle("GET /fhir/$export", s.authed(s.handleExportKickOff))
	mux.Handle("GET /fhir/Patient/$export", s.authed(s.handleExportKickOff))
	mux.Handle("GET /fhir/Group/{id}/$export", s.authed(s.handleExportKickOff))
	mux.Handle("POST /fhir/$export", s.authed(s.handleExportKickOff))
	mux.Handle("POST /fhir/Patient/$export", s.authed(s.handleExportKickOff))
	mux.Handle("POST /fhir/Group/{id}/$export", s.authed(s.handleExportKickOff))
	mux.Handle("GET /fhir/$export-poll-status", s.authed(s.handleExportStatus))
	mux.Handle("DELETE /fhir/$export-poll-status", s.authed(s.handleExportCancel))
	mux.Handle("GET /fhir/$export-file", s.authed(s.handleExportFile))
	mux.Handle("PUT /fhir/{type}", s.authed(s.handleConditionalUpdate))
	mux.Handle("DELETE /fhir/{type}", s.authed(s.handleConditionalDelete))
	mux.Handle("PATCH /fhir/{type}", s.authed(s.handlePatch))
	mux.Handle("GET /fhir/{type}/{id}/_history", s.authed(s.handleHistory))
	mux.Handle("GET /fhir/{type}/{id}/_history/{vid}", s.authed(s.handleRead))
	mux.Handle("GET /fhir/{type}/{id}/{of}", s.authed(s.handleCompartmentSearch))
	mux.Handle("POST /fhir/{type}/{id}/{of}/_search", s.authed(s.handleCompartmentSearch))
	mux.Handle("POST /fhir/{type}/{id}/_search", s.authed(func(w http.ResponseWriter, r *http.Request, p *Principal) error {
		// Every type of the compartment, as GET [compartment]/[id]/* is.
		r.SetPathValue("of", "*")
		return s.handleCompartmentSearch(w, r, p)
	}))
	unsupported := func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, outcomeOf(http.StatusNotFound, "not-supported", "%s %s is not an interaction this server supports", r.Method, r.URL.Path))
	}
	mux.HandleFunc("/fhir/", unsupported)
	mux.HandleFunc("/fhir", unsupported)
	s.mux = mux
	s.api = cors(compressing(identified(negotiate(s.based(mux)))))
	return s.api
}

// servedMethods are the methods a path of the API may be served by.
var servedMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH"}

// refuse answers a request no interaction serves: 405 Method Not
// Allowed, with the methods that path is served by in Allow, when other
// methods serve it (a POST to an instance, a PUT of the history, a
// DELETE of the CapabilityStatement), and notFound otherwise.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, notFound *Outcome) {
	var allow []string
	for _, m := range servedMethods {
		if m == r.Method {
			continue
		}
		_, pattern := s.mux.Handler(&http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}})
		if pattern == "" || pattern == "/fhir/" || pattern == "/fhir" || strings.Contains(pattern, "{type}") && !isResource[typeOfPath(r.URL.Path)] {
			continue // not served, or not a resource type
		}
		allow = append(allow, m)
	}
	if len(allow) == 0 {
		writeOutcome(w, notFound)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeOutcome(w, outcomeOf(http.StatusMethodNotAllowed, "not-supported", "%s %s is not an interaction this server supports; %s is served by %s", r.Method, r.URL.Path, r.URL.Path, strings.Join(allow, ", ")))
}

// typeOfPath is the first segment of an API path after /fhir/: the
// resource type, where the path names one.
func typeOfPath(path string) string {
	t, _, _ := strings.Cut(strings.TrimPrefix(path, "/fhir/"), "/")
	return t
}

// handler is a FHIR handler of an authenticated request.
type handler func(w http.ResponseWriter, r *http.Request, p *Principal) error

// authed authenticates the request, checks its resource type, and
// answers the handler's error as an OperationOutcome.
func (s *Server) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Auth == nil {
			writeOutcome(w, outcomeOf(http.StatusUnauthorized, "login", "this server has no way to authenticate requests"))
			return
		}
		p, err := s.Auth.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fhir"`)
			writeOutcome(w, asOutcome(err))
			return
		}
		if err := allowInteraction(r, p); err != nil { // access.go
			writeOutcome(w, asOutcome(err))
			return
		}
		if t := r.PathValue("type"); t != "" && !isResource[t] {
			if strings.HasPrefix(t, "$") {
				writeOutcome(w, outcomeOf(http.StatusNotFound, "not-supported", "the operation %s is not supported at the base; the CapabilityStatement (/fhir/metadata) lists the operations this server answers", t))
				return
			}
			s.refuse(w, r, outcomeOf(http.StatusNotFound, "not-supported", "%s is not an R4 resource type", t))
			return
		}
		if mayServeClinics(r) {
			// The clinics the request's outpatient appointments and
			// attendances name are read once for it (clinicMemo).
			r = r.WithContext(withClinicMemo(r.Context()))
		}
		if err := h(w, r, p); err != nil {
			o := asOutcome(err)
			if o.Status >= 500 && s.Logger != nil {
				s.Logger.Error("fhir request failed", append([]any{"method", r.Method, "path", r.URL.Path, "err", err}, requestIDs(r)...)...)
			}
			writeOutcome(w, o)
		}
	})
}

func writeOutcome(w http.ResponseWriter, o *Outcome) {
	w.Header().Set("Content-Type", ContentType+"; charset=utf-8")
	w.WriteHeader(o.Status)
	w.Write(o.JSON())
}

// jsonContentType is the Content-Type of every FHIR JSON answer, set as
// the header's value as it is (full, so an Add elsewhere copies it).
var jsonContentType = []string{ContentType + "; charset=utf-8"}

// writeJSON answers with a FHIR resource.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType[:1:1]
	w.WriteHeader(status)
	w.Write(body)
}

// readBody reads a request body holding a FHIR resource.
func readBody(r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.Contains(ct, "json") {
		return nil, &Outcome{Status: http.StatusUnsupportedMediaType, Issues: []Issue{{Severity: "error", Code: "not-supported", Diagnostics: "send FHIR JSON (" + ContentType + ") or FHIR XML (" + XMLContentType + "), not " + ct}}}
	}
	return readAll(r)
}

// readAll reads a request's body, up to maxBody. A body whose length is
// given is read into a buffer of that length (up to maxBodyHint), not
// one doubled from 512 bytes: a transaction Bundle of a patient's
// record is a megabyte or two.
func readAll(r *http.Request) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, min(max(r.ContentLength, 0), maxBodyHint)+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, invalid("structure", "", "the body could not be read: %v", err)
	}
	b := buf.Bytes()
	if len(b) > maxBody {
		return nil, outcomeOf(http.StatusRequestEntityTooLarge, "too-costly", "the body is larger than %d bytes", maxBody)
	}
	return b, nil
}

// prefer is the value of one preference (return, handling) the
// request's Prefer header states, "" when it states none.
func prefer(r *http.Request, name string) string {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == name {
				return strings.Trim(strings.TrimSpace(val), `"`)
			}
		}
	}
	return ""
}

// etag is the weak ETag of a version.
func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// parseETag reads a version from an If-Match value (W/"3" or "3").
func parseETag(s string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	n, err := strconv.Atoi(strings.Trim(s, `"`))
	return n, err == nil && n > 0
}

// matchVersion reads the version an If-Match names. An entity tag that
// names no version (W/"abc") is -1, which no version is, so that its
// precondition fails (412) as for any version that is not current; ok
// is false for what is no entity tag at all.
func matchVersion(m string) (int, bool) {
	if v, ok := parseETag(m); ok {
		return v, true
	}
	s := strings.TrimPrefix(strings.TrimSpace(m), "W/")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return -1, true
	}
	return 0, false
}

// withMeta returns the resource's JSON with its id and meta set for the
// version: versionId and lastUpdated, the rest of meta as sent.
func withMeta(r Resource, id string, version int, at string) ([]byte, error) {
	setMeta(r, id, version, at)
	return encodeResource(r)
}

// setMeta sets the resource's id and meta for the version.
func setMeta(r Resource, id string, version int, at string) {
	r["id"] = id
	meta, _ := r["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["versionId"] = strconv.Itoa(version)
	meta["lastUpdated"] = at
	r["meta"] = meta
}
