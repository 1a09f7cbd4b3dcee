package fhir

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/internal/jsontext"
)

// bundle is a Bundle the server answers with: a searchset or a history.
type bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link,omitempty"`
	Entry        []bundleEntry `json:"entry,omitempty"`

	// firstPage says a searchset is its search's first page: one that
	// holds every match (it has no next link) says how many they are,
	// as counting them costs nothing. noTotal says the search asked
	// for none (_total=none).
	firstPage, noTotal bool
}

// settleTotal gives a searchset its total where it costs nothing (a
// first page that holds every match), and takes it away where the
// search asked for none.
func (b *bundle) settleTotal() {
	if b.noTotal {
		b.Total = nil
		return
	}
	if b.Total != nil || !b.firstPage {
		return
	}
	for _, l := range b.Link {
		if l.Relation == "next" {
			return
		}
	}
	n := 0
	for _, e := range b.Entry {
		if e.Search != nil && e.Search.Mode == "match" {
			n++
		}
	}
	b.Total = &n
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *entrySearch    `json:"search,omitempty"`
	Request  *entryRequest   `json:"request,omitempty"`
	Response *entryResponse  `json:"response,omitempty"`
	// written is, in a batch or transaction response, the version an
	// entry wrote or found: the resource Prefer: return=representation
	// asks for.
	written *crs.Resource
	// serve, when written has no body (a patient the PMI registered),
	// makes the resource as the API serves it.
	serve func() (*crs.Resource, error)
}

// entrySearch is why an entry is in a searchset: a match, an include or
// an outcome; a $match's entry also has its score (a decimal from 0 to
// 1, as written) and its grade, a code of the match-grade extension.
// It is written by appendJSON; read back (a page of a type's search),
// only its mode is.
type entrySearch struct {
	Mode  string `json:"mode"`
	Score string `json:"-"`
	Grade string `json:"-"`
}

// extMatchGrade is the extension on an entry's search that grades how
// likely a $match result is the patient asked about.
const extMatchGrade = "http://hl7.org/fhir/StructureDefinition/match-grade"

// MarshalJSON writes the search as appendJSON does.
func (s entrySearch) MarshalJSON() ([]byte, error) { return s.appendJSON(nil), nil }

// appendJSON writes the search as R4 JSON, its elements in R4's order.
func (s *entrySearch) appendJSON(out []byte) []byte {
	out = append(out, '{')
	if s.Grade != "" {
		out = append(out, `"extension":[{"url":`...)
		out = jsontext.AppendString(out, extMatchGrade)
		out = append(out, `,"valueCode":`...)
		out = jsontext.AppendString(out, s.Grade)
		out = append(out, `}],`...)
	}
	out = append(out, `"mode":`...)
	out = jsontext.AppendString(out, s.Mode)
	if s.Score != "" {
		out = append(out, `,"score":`...)
		out = append(out, s.Score...)
	}
	return append(out, '}')
}

type entryRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

// entryResponse is the response of an entry: Status is the HTTP status
// code alone, written with its reason phrase ("201 Created").
type entryResponse struct {
	Status       string          `json:"status"`
	Location     string          `json:"location,omitempty"`
	Outcome      json.RawMessage `json:"outcome,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
}

// MarshalJSON writes the status with its reason phrase, as R4's
// examples do and as many clients compare it ("201 Created").
func (r entryResponse) MarshalJSON() ([]byte, error) {
	type plain entryResponse
	if n, err := strconv.Atoi(r.Status); err == nil && http.StatusText(n) != "" {
		r.Status += " " + http.StatusText(n)
	}
	return json.Marshal(plain(r))
}

// historyEntry is the entry of a version in a history Bundle.
func historyEntry(base string, r *crs.Resource) bundleEntry {
	e := bundleEntry{FullURL: base + "/" + r.Type + "/" + r.ID,
		Response: &entryResponse{Status: "200", Etag: etag(r.Version), LastModified: r.LastUpdated.UTC().Format(instant)}}
	switch {
	case r.Deleted:
		e.Request = &entryRequest{Method: "DELETE", URL: r.Type + "/" + r.ID}
		e.Response.Status = "204"
	case r.Method == http.MethodPatch:
		e.Request = &entryRequest{Method: "PATCH", URL: r.Type + "/" + r.ID}
		e.Resource = r.Body
	case r.Version == 1 && r.Method == http.MethodPut:
		// Created by an update naming its id.
		e.Request = &entryRequest{Method: "PUT", URL: r.Type + "/" + r.ID}
		e.Response.Status = "201"
		e.Resource = r.Body
	case r.Version == 1:
		e.Request = &entryRequest{Method: "POST", URL: r.Type}
		e.Response.Status = "201"
		e.Resource = r.Body
	default:
		e.Request = &entryRequest{Method: "PUT", URL: r.Type + "/" + r.ID}
		e.Resource = r.Body
	}
	return e
}

func intPtr(n int) *int { return &n }

func (b *bundle) json() []byte {
	out, _ := appendJSON(nil, b)
	return out
}

// writeBundle answers 200 with the Bundle; one that cannot be written as
// JSON (an entry's resource that is not JSON) is answered with a 500
// OperationOutcome saying why, never with an empty 200.
func writeBundle(w http.ResponseWriter, b *bundle) {
	out, err := appendJSON(nil, b) // <, > and & as they are, not \u003c

	if err != nil {
		writeOutcome(w, outcomeOf(http.StatusInternalServerError, "exception", "the %s Bundle could not be written: %v", b.Type, err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// linkQuery is the query of a Bundle's link (self, next): v encoded,
// with the commas, colons and slashes of FHIR's parameters written as
// they are (_type=Patient,Practitioner, code:text, subject=Patient/1),
// which a query may hold unescaped, for readers that split a list on
// its commas as written.
func linkQuery(v url.Values) string { return linkUnescapes.Replace(v.Encode()) }

// linkURL is a Bundle's link to path with the parameters, if any.
func linkURL(path string, v url.Values) string {
	if q := linkQuery(v); q != "" {
		return path + "?" + q
	}
	return path
}

var linkUnescapes = strings.NewReplacer("%2C", ",", "%3A", ":", "%2F", "/")
