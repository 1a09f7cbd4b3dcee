package fhir

import (
	"encoding/json"
	"net/http"

	"github.com/opencrs/crs"
)

// bundle is a Bundle the server answers with: a searchset or a history.
type bundle struct {
	ResourceType string        `json:"resourceType"`
	Type         string        `json:"type"`
	Total        *int          `json:"total,omitempty"`
	Link         []bundleLink  `json:"link,omitempty"`
	Entry        []bundleEntry `json:"entry,omitempty"`
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
}

type entrySearch struct {
	Mode string `json:"mode"`
}

type entryRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

type entryResponse struct {
	Status       string          `json:"status"`
	Location     string          `json:"location,omitempty"`
	Outcome      json.RawMessage `json:"outcome,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
}

// historyEntry is the entry of a version in a history Bundle.
func historyEntry(base string, r *crs.Resource) bundleEntry {
	e := bundleEntry{FullURL: base + "/" + r.Type + "/" + r.ID,
		Response: &entryResponse{Status: "200", Etag: etag(r.Version), LastModified: r.LastUpdated.UTC().Format(instant)}}
	switch {
	case r.Deleted:
		e.Request = &entryRequest{Method: "DELETE", URL: r.Type + "/" + r.ID}
		e.Response.Status = "204"
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
	out, _ := json.Marshal(b)
	return out
}

// writeBundle answers 200 with the Bundle; one that cannot be written as
// JSON (an entry's resource that is not JSON) is answered with a 500
// OperationOutcome saying why, never with an empty 200.
func writeBundle(w http.ResponseWriter, b *bundle) {
	out, err := json.Marshal(b)
	if err != nil {
		writeOutcome(w, outcomeOf(http.StatusInternalServerError, "exception", "the %s Bundle could not be written: %v", b.Type, err))
		return
	}
	writeJSON(w, http.StatusOK, out)
}
