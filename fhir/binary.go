package fhir

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// A Binary (a letter's PDF, a scanned referral, an image a document
// points at) is read and written as its content itself, as R4 asks
// (http.html#binary): a read that does not ask for FHIR JSON or XML by
// name (no Accept, */*, or the content's own type) is answered with the
// content and its type; a create or update whose Content-Type is not
// FHIR's is the content, kept as a Binary of that type. A client that
// asks for FHIR (Accept application/fhir+json, _format) gets the
// Binary resource, its content in base64, as for any other type. The
// X-Security-Context header carries the Binary's securityContext both
// ways: the resource whose access rules the content follows.

// binaryDoc is what the CapabilityStatement says of Binary.
const binaryDoc = "Read and vread answer the content itself, in its contentType, when the request names no FHIR format (no Accept, */*, or the content's own type; no _format), with X-Security-Context naming its securityContext; Accept: application/fhir+json (or _format) answers the Binary resource. A create (POST Binary) or update (PUT Binary/[id]) whose Content-Type is not FHIR JSON or XML is the content itself, kept as a Binary of that type (up to 12 MB), with X-Security-Context as its securityContext."

// maxBinary is the largest content a Binary is written from: its base64
// in the resource, a third larger, must fit in a request's body.
const maxBinary = maxBody/4*3 - 4096

// rawBinaryKey marks a request whose answer is a Binary's content.
type rawBinaryKey struct{}

// binaryPath reports whether a path names one Binary (Binary/[id]) or
// one version of it (Binary/[id]/_history/[vid]), and with single its
// id alone.
func binaryPath(path string) (single, version bool) {
	rest, ok := strings.CutPrefix(path, "/fhir/Binary/")
	if !ok || rest == "" || strings.HasPrefix(rest, "$") || strings.HasPrefix(rest, "_") {
		return false, false
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 1:
		return true, false
	case len(parts) == 3 && parts[1] == "_history" && parts[2] != "":
		return false, true
	}
	return false, false
}

// wantsRawBinary reports whether a request reads a Binary's content: a
// GET or HEAD of one Binary (or a version of it) that names no format
// (_format) and no FHIR type by name in Accept, nor asks for a subset
// (_summary, _elements), which only the resource has.
func wantsRawBinary(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if single, version := binaryPath(r.URL.Path); !single && !version {
		return false
	}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		if q.Has("_format") || q.Has("_summary") || q.Has("_elements") {
			return false
		}
	}
	json, _, xml := acceptQ(strings.Join(r.Header.Values("Accept"), ","))
	return json <= 0 && xml <= 0
}

// rawBinaryWanted reports whether the request reads a Binary's content
// (wantsRawBinary, marked by negotiate).
func rawBinaryWanted(ctx context.Context) bool {
	raw, _ := ctx.Value(rawBinaryKey{}).(bool)
	return raw
}

// sendsRawBinary reports whether a request writes a Binary from its
// content: a POST to Binary or a PUT of one Binary whose Content-Type is
// given and is not FHIR JSON or XML.
func sendsRawBinary(r *http.Request) bool {
	// The path first: every write of every type passes here, and only
	// a Binary's has its Content-Type read.
	switch r.Method {
	case http.MethodPost:
		if r.URL.Path != "/fhir/Binary" && r.URL.Path != "/fhir/Binary/" {
			return false
		}
	case http.MethodPut:
		if single, _ := binaryPath(r.URL.Path); !single {
			return false
		}
	default:
		return false
	}
	ct := r.Header.Get("Content-Type")
	return ct != "" && !isJSONFormat(ct) && !isXMLFormat(ct)
}

// readRawBinary makes the request's body, a Binary's content, the FHIR
// JSON of that Binary: its contentType the request's Content-Type, its
// data the content, its securityContext the X-Security-Context header,
// and, for an update, its id the one the path names.
func readRawBinary(r *http.Request) error {
	content, err := io.ReadAll(io.LimitReader(r.Body, maxBinary+1))
	if err != nil {
		return invalid("structure", "", "the body could not be read: %v", err)
	}
	if len(content) > maxBinary {
		return outcomeOf(http.StatusRequestEntityTooLarge, "too-costly", "a Binary's content is at most %d bytes (its base64 must fit in a request of %d bytes)", maxBinary, maxBody)
	}
	b := Resource{"resourceType": "Binary", "contentType": strings.TrimSpace(r.Header.Get("Content-Type"))}
	if len(content) > 0 {
		b["data"] = base64.StdEncoding.EncodeToString(content)
	}
	if sc := strings.TrimSpace(r.Header.Get("X-Security-Context")); sc != "" {
		b["securityContext"] = map[string]any{"reference": sc}
	}
	if r.Method == http.MethodPut {
		b["id"] = strings.TrimPrefix(r.URL.Path, "/fhir/Binary/")
	}
	body, err := json.Marshal(b)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "write the Binary: %w", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set("Content-Type", ContentType)
	return nil
}

// writeRawBinary answers a read of a Binary with its content, in its
// own type. The content is what a system stored, so a browser is told
// not to guess its type and to run nothing in it (an HTML or SVG
// Binary opened from a user's session must not act for them).
func writeRawBinary(w http.ResponseWriter, e *servedEntry) error {
	var b struct {
		ContentType     string `json:"contentType"`
		Data            string `json:"data"`
		SecurityContext struct {
			Reference string `json:"reference"`
		} `json:"securityContext"`
	}
	if err := json.Unmarshal(e.res.Body, &b); err != nil {
		return crs.Errorf(crs.EINTERNAL, "read Binary/%s as kept: %w", e.res.ID, err)
	}
	content, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b.Data), ""))
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "Binary/%s's data as kept is not base64: %w", e.res.ID, err)
	}
	h := w.Header()
	h.Set("Content-Type", cmp.Or(b.ContentType, "application/octet-stream"))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if b.SecurityContext.Reference != "" {
		h.Set("X-Security-Context", b.SecurityContext.Reference)
	}
	e.setValidators(h)
	h.Set("Content-Length", strconv.Itoa(len(content)))
	w.WriteHeader(http.StatusOK)
	w.Write(content)
	return nil
}
