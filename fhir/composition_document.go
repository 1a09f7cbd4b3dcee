package fhir

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// documentCanonical is the canonical of Composition/$document, as the
// CapabilityStatement lists it.
const documentCanonical = "http://hl7.org/fhir/OperationDefinition/Composition-document"

// maxDocumentEntries bounds the resources one document holds: a
// Composition whose references reach more is refused, never cut.
var maxDocumentEntries = 1000

// handleDocument answers Composition/[id]/$document and
// Composition/$document?id=...: the Composition (a discharge summary, a
// clinic letter, any other stored) made into an R4 document, a Bundle of
// type document whose first entry is the Composition followed by every
// resource it refers to, and every resource those refer to in turn
// (subject, encounter, authors, attesters, custodian, each section's
// entries and what they refer to), each read through the same access
// check and audit as a read. A document is made whole or not at all: a
// reference to a resource this server does not hold, or holds deleted,
// or of a type the token may not read, refuses it, naming the
// reference. References to another server's resources (absolute URLs
// not under this base) are left as they are; a Composition it refers to
// (relatesTo, a document it replaces) is named, not included.
//
// The Bundle's identifier is made from the versions it holds, so the
// same Composition with the same resources gives the same identifier;
// its timestamp is when it was assembled. With persist=true (a POST) the
// document is also stored as a Bundle, through the write path, and
// answered 201 with its Location; the same document (its identifier)
// asked for again is not stored twice: the one held is answered, 200.
func (s *Server) handleDocument(w http.ResponseWriter, r *http.Request, p *Principal) error {
	if err := p.allow("Composition", false); err != nil {
		return err
	}
	o, err := readOpParams(r, "$document")
	if err != nil {
		return err
	}
	for k := range o.query {
		switch k {
		case "id", "persist", "graph", "_format", "_pretty":
		default:
			return invalid("not-supported", k, "$document does not support the parameter %s (it takes id, persist)", k)
		}
	}
	for i, m := range o.body {
		switch m["name"] {
		case "id", "persist", "graph":
		default:
			return invalid("not-supported", "Parameters.parameter["+strconv.Itoa(i)+"]", "$document does not support the parameter %v (it takes id, persist)", m["name"])
		}
	}
	if g, where := o.str("graph"); g != "" {
		return invalid("not-supported", where, "$document makes the document from the Composition's references; a GraphDefinition (graph) is not supported")
	}
	persist, err := o.boolean("persist")
	if err != nil {
		return err
	}
	if persist && r.Method != http.MethodPost {
		return invalid("not-supported", "persist", "persist=true stores the document: ask for it with a POST")
	}
	base := baseURL(r)
	id := r.PathValue("id")
	if id == "" {
		ref, where := o.str("id")
		if ref == "" {
			return invalid("required", "id", "Composition/$document needs the Composition: give id (its id, Composition/[id] or its full URL), or ask Composition/[id]/$document")
		}
		typ, rid, ok := splitReference(ref)
		switch {
		case ok && typ == "Composition" && validID(rid) && (!strings.Contains(ref, "://") || strings.HasPrefix(ref, base+"/")):
			id = rid
		case !strings.Contains(ref, "/") && validID(ref):
			id = ref
		default:
			return invalid("invalid", where, "id %q names no Composition of this server", ref)
		}
	}
	doc, err := s.document(r.Context(), p, base, id)
	if err != nil {
		return err
	}
	body, err := encodeResource(doc)
	if err != nil {
		return err
	}
	if !persist {
		writeJSON(w, http.StatusOK, body)
		return nil
	}
	if err := p.allow("Bundle", true); err != nil {
		return err
	}
	sent, err := decodeSent(body)
	if err != nil {
		return err
	}
	// The same document is stored once: one held with its identifier (the
	// same versions) is answered, as a conditional create answers.
	ident, _ := doc["identifier"].(map[string]any)
	criteria := "identifier=" + url.QueryEscape(stringOf(ident["system"])+"|"+stringOf(ident["value"]))
	q, err := parseSearch("Bundle", criteria, s.Store.Now())
	if err != nil {
		return err
	}
	q.query.Count = 2
	var stored, existing *crs.Resource
	err = s.Store.Write(r.Context(), p.Actor, crs.ActRecordClinical, func(tx crs.Tx) error {
		var err error
		stored, existing, err = createIn(tx, sent, "Bundle", &q.query, criteria)
		if err == nil && existing != nil {
			return errUnchanged
		}
		return err
	})
	status := http.StatusCreated
	switch {
	case errors.Is(err, errUnchanged):
		stored, status = existing, http.StatusOK
	case err != nil:
		return err
	}
	w.Header().Set("Location", base+"/Bundle/"+stored.ID+"/_history/"+strconv.Itoa(stored.Version))
	writeResource(w, r, status, stored)
	return nil
}

// document assembles the document of Composition/id (see handleDocument).
func (s *Server) document(ctx context.Context, p *Principal, base, id string) (Resource, error) {
	comp, err := s.readAny(ctx, p, "Composition", id, 0)
	if err != nil {
		return nil, err
	}
	if comp.Deleted {
		return nil, outcomeOf(http.StatusGone, "deleted", "Composition/%s was deleted (version %d)", id, comp.Version)
	}
	root, err := Decode(comp.Body)
	if err != nil {
		return nil, err
	}
	if root["status"] == "entered-in-error" {
		return nil, outcomeOf(http.StatusUnprocessableEntity, "business-rule", "Composition/%s was entered in error: it makes no document", id)
	}
	type held struct {
		res  Resource
		full string
	}
	entries := []held{{root, base + "/Composition/" + id}}
	versions := []string{"Composition/" + id + "/" + strconv.Itoa(comp.Version)}
	seen := map[string]bool{"Composition/" + id: true}
	// Breadth first: what the Composition names, then what those name,
	// each resource's references in their text's order, so that a
	// document's entries come in the same order every time.
	for i := 0; i < len(entries); i++ {
		from := entries[i]
		var refs []string
		eachReference(map[string]any(from.res), func(_ map[string]any, ref string) bool {
			refs = append(refs, ref)
			return true
		})
		sort.Strings(refs)
		for _, ref := range refs {
			typ, rid, version, ok := heldReference(ref, base)
			if !ok || typ == "Composition" || seen[typ+"/"+rid] {
				continue
			}
			seen[typ+"/"+rid] = true
			if len(entries) >= maxDocumentEntries {
				return nil, outcomeOf(http.StatusBadRequest, "too-costly", "the document of Composition/%s would hold more than %d resources; it is not made", id, maxDocumentEntries)
			}
			if err := p.allow(typ, false); err != nil {
				return nil, crs.Errorf(crs.EFORBIDDEN, "the document of Composition/%s holds %s: %v", id, ref, err)
			}
			res, err := s.readAny(ctx, p, typ, rid, version)
			switch {
			case notHeld(err):
				return nil, outcomeOf(http.StatusUnprocessableEntity, "not-found", "%s/%s refers to %s, which this server does not hold: the document is made whole or not at all", from.res.Type(), from.res.ID(), ref)
			case err != nil:
				return nil, err
			case res.Deleted:
				return nil, outcomeOf(http.StatusUnprocessableEntity, "deleted", "%s/%s refers to %s, which was deleted (version %d): the document is made whole or not at all", from.res.Type(), from.res.ID(), ref, res.Version)
			}
			decoded, err := Decode(res.Body)
			if err != nil {
				return nil, err
			}
			versions = append(versions, typ+"/"+rid+"/"+strconv.Itoa(res.Version))
			entries = append(entries, held{decoded, base + "/" + typ + "/" + rid})
		}
	}
	sort.Strings(versions)
	digest := sha256.Sum256([]byte(strings.Join(versions, "\n")))
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = map[string]any{"fullUrl": e.full, "resource": map[string]any(e.res)}
	}
	return Resource{
		"resourceType": "Bundle",
		"identifier":   map[string]any{"system": "urn:ietf:rfc:3986", "value": "urn:uuid:" + digestUUID(digest[:])},
		"type":         "document",
		"timestamp":    s.Store.Now().UTC().Format(instant),
		"entry":        list,
	}, nil
}

// notHeld reports whether a read found nothing: the resource is not
// held here.
func notHeld(err error) bool {
	var o *Outcome
	return crs.ErrorCode(err) == crs.ENOTFOUND || errors.As(err, &o) && o.Status == http.StatusNotFound
}

// heldReference reads a reference to a resource of this server: Type/id
// or base/Type/id, optionally of a version (/_history/n). A contained
// (#id), urn or another server's reference is not one.
func heldReference(ref, base string) (typ, id string, version int, ok bool) {
	if strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "urn:") {
		return "", "", 0, false
	}
	if strings.Contains(ref, "://") {
		rest, under := strings.CutPrefix(ref, base+"/")
		if !under {
			return "", "", 0, false
		}
		ref = rest
	}
	parts := strings.Split(ref, "/")
	switch {
	case len(parts) == 2:
	case len(parts) == 4 && parts[2] == "_history":
		n, err := strconv.Atoi(parts[3])
		if err != nil || n < 1 {
			return "", "", 0, false
		}
		version = n
	default:
		return "", "", 0, false
	}
	if !isResource[parts[0]] || !validID(parts[1]) {
		return "", "", 0, false
	}
	return parts[0], parts[1], version, true
}

// digestUUID formats the first 16 bytes of a digest as a UUID (version
// 8, RFC 9562's for names made another way).
func digestUUID(sum []byte) string {
	b := make([]byte, 16)
	copy(b, sum)
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
