package fhir

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// PatchContentType is the media type of a JSON Patch (RFC 6902).
const PatchContentType = "application/json-patch+json"

// patchOp is one operation of a JSON Patch.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	From  string `json:"from"`
	Value any    `json:"value"`
}

// resourcePatch is a patch in one of the forms R4 defines: a JSON Patch
// (RFC 6902) or a FHIRPath Patch (a Parameters of operations).
type resourcePatch struct {
	json     []patchOp
	fhirpath []fhirPathOp
	isFHIR   bool // a FHIRPath Patch
}

// readPatch reads the patch a PATCH request sends: a JSON Patch
// (application/json-patch+json, or an array sent as application/json)
// or a FHIRPath Patch (a Parameters in FHIR JSON, or in FHIR XML, which
// negotiate has read into JSON).
func readPatch(r *http.Request) (*resourcePatch, error) {
	ct := r.Header.Get("Content-Type")
	mt := mediaType(ct)
	if mt != PatchContentType && !isJSONFormat(mt) {
		return nil, &Outcome{Status: http.StatusUnsupportedMediaType, Issues: []Issue{{Severity: "error", Code: "not-supported",
			Diagnostics: "send a JSON Patch (" + PatchContentType + ") or a FHIRPath Patch, a Parameters resource (" + ContentType + " or " + XMLContentType + "), not " + ct}}}
	}
	body, err := readAll(r)
	if err != nil {
		return nil, err
	}
	if mt == PatchContentType || mt == "application/json" && bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		// A JSON Patch, also when sent as plain JSON: a FHIRPath Patch
		// is an object, never an array.
		ops, err := decodePatch(body)
		return &resourcePatch{json: ops}, err
	}
	res, err := decodeSent(body)
	if err != nil {
		return nil, err
	}
	return patchOf(res, "")
}

// patchOf reads a patch sent as a resource, at loc in a Bundle ("" for
// the body of a request): a Parameters (a FHIRPath Patch), or a Binary
// whose data is a JSON Patch, as a Bundle's PATCH entry carries it.
func patchOf(res Resource, loc string) (*resourcePatch, error) {
	switch res.Type() {
	case "Parameters":
		ops, err := fhirPathPatch(res)
		if err != nil {
			return nil, inBundle(err, loc)
		}
		return &resourcePatch{fhirpath: ops, isFHIR: true}, nil
	case "Binary":
		ct, _ := res["contentType"].(string)
		data, _ := res["data"].(string)
		if mediaType(ct) != PatchContentType {
			return nil, invalid("not-supported", loc+"Binary.contentType", "a Binary patch is a JSON Patch (contentType %s), not %s", PatchContentType, ct)
		}
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, invalid("invalid", loc+"Binary.data", "the Binary's data is not base64: %v", err)
		}
		ops, err := decodePatch(b)
		if err != nil {
			return nil, inBundle(err, loc)
		}
		return &resourcePatch{json: ops}, nil
	}
	return nil, invalid("invalid", loc+"resourceType", "a patch is a Parameters (FHIRPath Patch) or a Binary holding a JSON Patch, not a %s", res.Type())
}

// inBundle prefixes the expressions of err's issues with loc, where in
// a Bundle the patch was.
func inBundle(err error, loc string) error {
	o := asOutcome(err)
	if loc == "" {
		return o
	}
	issues := make([]Issue, len(o.Issues))
	for i, is := range o.Issues {
		is.Expression = loc + is.Expression
		issues[i] = is
	}
	return &Outcome{Status: o.Status, Issues: issues}
}

// values are the values the patch's operations write, for a
// transaction to resolve the references in them to its entries.
func (p *resourcePatch) values() []any {
	var out []any
	for _, op := range p.json {
		out = append(out, op.Value)
	}
	for _, op := range p.fhirpath {
		if op.value == nil {
			continue
		}
		out = append(out, op.value.json)
		if op.value.ext != nil {
			out = append(out, op.value.ext)
		}
		for _, part := range op.value.parts {
			out = append(out, part)
		}
	}
	return out
}

// apply applies the patch to doc, a resource of type typ decoded with
// its numbers kept as written, and returns the result.
func (p *resourcePatch) apply(doc map[string]any, typ string) (any, error) {
	if p.isFHIR {
		return doc, applyFHIRPathPatch(doc, typ, p.fhirpath)
	}
	return applyPatch(doc, p.json)
}

// handlePatch answers patch (PATCH [type]/[id]) and conditional patch
// (PATCH [type]?query, the one resource the query matches; none answers
// 404, more than one 412) with a JSON Patch or a FHIRPath Patch: the
// operations are applied to the current version in order, all or none,
// and the result, checked against R4 as any update is, is written as the
// next version. If-Match guards against lost updates as update does; a
// failed test operation, or a FHIRPath operation that cannot be applied,
// answers 422 and changes nothing.
func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if err := p.allow(typ, true); err != nil {
		return err
	}
	if s.appointmentWritable(typ) {
		if id == "" {
			return invalid("not-supported", "", "a conditional PATCH of an Appointment is not supported: patch Appointment/[id]")
		}
		return s.patchHeld(w, r, p, typ, id, readAppointment, s.changeAppointment)
	}
	if s.heldReferral(typ, id) {
		return s.patchHeld(w, r, p, typ, id, readReferral, s.changeReferral)
	}
	if s.heldSpell(typ, id) {
		return s.patchHeld(w, r, p, typ, id, readEncounter, s.changeSpell)
	}
	pt, err := readPatch(r)
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	if err := s.refuseCoreWrite(r.Context(), p, typ, id); err != nil {
		return err
	}
	var stored *crs.Resource
	err = s.Store.Write(r.Context(), p.Actor, s.patchActivity(typ), func(tx crs.Tx) error {
		target, err := id, error(nil)
		if target == "" {
			target, err = conditionalTarget(tx, typ, r.URL.RawQuery, s.pmi(typ))
		}
		if err == nil {
			err = s.noneMatchIn(tx, r, typ, target)
		}
		if err == nil {
			stored, err = patchIn(tx, pt, typ, target, want, s.pmi(typ), s.codeCheck(r.Context(), p.Actor))
		}
		return err
	})
	if err != nil {
		return err
	}
	writeResource(w, r, http.StatusOK, stored)
	return nil
}

// patchActivity is what a patch of typ asks of its actor: a patient of
// the PMI is a demographics change, anything else a clinical record.
func (s *Server) patchActivity(typ string) crs.Activity {
	if s.pmi(typ) {
		return crs.ActAmendDemographics
	}
	return crs.ActRecordClinical
}

// conditionalTarget is the id of the one resource of typ that query
// matches, for a conditional patch: none is 404, more than one 412. A
// patient of the PMI is found by one identifier, as a conditional
// update finds it.
func conditionalTarget(tx crs.Tx, typ, query string, pmi bool) (string, error) {
	var ids []string
	if pmi {
		if query == "" {
			return "", invalid("invalid", "", "a conditional PATCH of Patient needs search parameters")
		}
		found, err := findPatientsIn(tx, query)
		if err != nil {
			return "", err
		}
		for _, f := range found {
			ids = append(ids, f.ID)
		}
	} else {
		found, err := conditionalMatches(tx, typ, http.MethodPatch, query)
		if err != nil {
			return "", err
		}
		for _, f := range found {
			ids = append(ids, f.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", outcomeOf(http.StatusNotFound, "not-found", "no %s matches %s", typ, query)
	case 1:
		return ids[0], nil
	}
	return "", outcomeOf(http.StatusPreconditionFailed, "multiple-matches", "more than one %s matches %s", typ, query)
}

// codeCheck checks a patch's result as the resource of a create or an
// update is checked before its command (checkSent).
func (s *Server) codeCheck(ctx context.Context, a crs.Actor) func(Resource) error {
	return func(res Resource) error { return s.checkSent(ctx, a, res, "") }
}

// patchIn patches typ/id inside the command: the patch is applied to
// the current version (a patient of the PMI as it is served), and the
// result, checked as an update's resource is (R4, then check), is
// written as the next version (for a patient of the PMI, through the
// same demographics change as an update). want, unless 0, is the
// version If-Match names.
func patchIn(tx crs.Tx, pt *resourcePatch, typ, id string, want int, pmi bool, check func(Resource) error) (*crs.Resource, error) {
	var cur *crs.Resource
	var err error
	if pmi {
		cur, err = currentPatientIn(tx, id)
	} else {
		cur, err = tx.GetResource(typ, id)
	}
	if err != nil {
		return nil, err
	}
	if cur.Deleted {
		return nil, outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d)", typ, id, cur.Version)
	}
	if err := refuseNoteWrite(typ, id, cur, nil); err != nil {
		return nil, err
	}
	if want != 0 && cur.Version != want {
		return nil, outcomeOf(http.StatusPreconditionFailed, "conflict", "%s/%s is at version %d, not the version %d of If-Match", typ, id, cur.Version, want)
	}
	res, err := pt.applyTo(cur.Body, typ, id)
	if err != nil {
		return nil, err
	}
	if err := check(Resource(res)); err != nil {
		return nil, err
	}
	if pmi {
		return updatePatientIn(tx, Resource(res), id, cur.Version)
	}
	return putVersionBy(tx, Resource(res), typ, id, cur.Version+1, http.MethodPatch)
}

// applyTo applies the patch to body, the current version of typ/id, and
// checks the result against R4 as an update's resource is checked: it
// must stay a typ with that id.
func (pt *resourcePatch) applyTo(body []byte, typ, id string) (Resource, error) {
	var doc map[string]any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read %s/%s: %w", typ, id, err)
	}
	out, err := pt.apply(doc, typ)
	if err != nil {
		return nil, err
	}
	res, ok := out.(map[string]any)
	if !ok || Resource(res).Type() != typ || Resource(res).ID() != id {
		return nil, invalid("processing", typ, "the patch must keep the resource a %s with id %s", typ, id)
	}
	if err := validateSent(Resource(res)); err != nil {
		return nil, err
	}
	return Resource(res), nil
}

// ifMatch reads the version an If-Match header names; 0 without one.
func ifMatch(r *http.Request) (int, error) {
	m := r.Header.Get("If-Match")
	if m == "" {
		return 0, nil
	}
	v, ok := matchVersion(m)
	if !ok {
		return 0, invalid("invalid", "", "If-Match %q is not an ETag such as W/\"3\"", m)
	}
	return v, nil
}

// noneMatchNames reports whether an If-None-Match value names version:
// * names any version, else one of its entity tags is the version's.
// Version 0, a resource that does not exist (or is deleted), is named by
// none.
func noneMatchNames(inm string, version int) bool {
	if version == 0 {
		return false
	}
	for _, tag := range strings.Split(inm, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" {
			return true
		}
		if v, ok := parseETag(tag); ok && v == version {
			return true
		}
	}
	return false
}

// noneMatchIn refuses (412) an update, patch or delete of typ/id inside
// the command when its If-None-Match header names the current version
// (RFC 9110): If-None-Match: * writes only a resource that does not
// exist yet (a create that never overwrites), and W/"3" never overwrites
// the version the client has seen. Without the header it refuses
// nothing.
func (s *Server) noneMatchIn(tx crs.Tx, r *http.Request, typ, id string) error {
	return noneMatchRefuses(tx, r.Header.Get("If-None-Match"), typ, id, s.pmi(typ))
}

// noneMatchRefuses is noneMatchIn of an If-None-Match value inm ("" for
// none), of a Bundle's entry too (request.ifNoneMatch); pmi says typ/id
// is a patient of the PMI.
func noneMatchRefuses(tx crs.Tx, inm, typ, id string, pmi bool) error {
	if inm == "" {
		return nil
	}
	cur, err := currentVersionIn(tx, typ, id, pmi)
	if err != nil || !noneMatchNames(inm, cur) {
		return err
	}
	return outcomeOf(http.StatusPreconditionFailed, "conflict", "%s/%s exists at version %d, which If-None-Match: %s names; nothing was written", typ, id, cur, inm)
}

// currentVersionIn is the current version of typ/id inside the command:
// the PMI's record of a patient (pmi), else the resource store's; 0 when
// there is none or it is deleted.
func currentVersionIn(tx crs.Tx, typ, id string, pmi bool) (int, error) {
	if pmi {
		p, err := tx.GetPatient(id)
		switch {
		case crs.ErrorCode(err) == crs.ENOTFOUND:
			return 0, nil
		case err != nil:
			return 0, err
		}
		return p.Version, nil
	}
	res, err := tx.GetResource(typ, id)
	switch {
	case crs.ErrorCode(err) == crs.ENOTFOUND:
		return 0, nil
	case err != nil:
		return 0, err
	case res.Deleted:
		return 0, nil
	}
	return res.Version, nil
}

// decodePatch reads a JSON Patch document: an array of operations.
func decodePatch(body []byte) ([]patchOp, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var raw []map[string]any
	if err := d.Decode(&raw); err != nil {
		return nil, invalid("structure", "", "the patch is not a JSON array of operations: %v", err)
	}
	ops := make([]patchOp, len(raw))
	for i, m := range raw {
		at := "operation " + strconv.Itoa(i)
		op, _ := m["op"].(string)
		path, ok := m["path"].(string)
		if !ok {
			return nil, invalid("structure", "", "%s has no path", at)
		}
		from, _ := m["from"].(string)
		v, has := m["value"]
		switch op {
		case "add", "replace", "test":
			if !has {
				return nil, invalid("structure", "", "%s (%s %s) has no value", at, op, path)
			}
		case "move", "copy":
			if _, ok := m["from"].(string); !ok {
				return nil, invalid("structure", "", "%s (%s %s) has no from", at, op, path)
			}
		case "remove":
		default:
			return nil, invalid("structure", "", "%s: %q is not a JSON Patch operation (add, remove, replace, move, copy, test)", at, op)
		}
		ops[i] = patchOp{Op: op, Path: path, From: from, Value: v}
	}
	return ops, nil
}

// applyPatch applies the operations to doc in order and returns the
// result; the first that cannot be applied is the error.
func applyPatch(doc any, ops []patchOp) (any, error) {
	var err error
	for i, op := range ops {
		bad := func(format string, args ...any) error {
			return &Outcome{Status: http.StatusUnprocessableEntity, Issues: []Issue{{Severity: "error", Code: "processing",
				Diagnostics: "patch operation " + strconv.Itoa(i) + " (" + op.Op + " " + op.Path + "): " + fmt.Sprintf(format, args...)}}}
		}
		switch op.Op {
		case "add":
			doc, err = pointerSet(doc, op.Path, clone(op.Value), true)
		case "replace":
			if _, err = pointerGet(doc, op.Path); err == nil {
				doc, err = pointerSet(doc, op.Path, clone(op.Value), false)
			}
		case "remove":
			doc, _, err = pointerRemove(doc, op.Path)
		case "move", "copy":
			var v any
			if op.Op == "move" {
				if strings.HasPrefix(op.Path, op.From+"/") {
					return nil, bad("a value cannot be moved into itself")
				}
				doc, v, err = pointerRemove(doc, op.From)
			} else {
				v, err = pointerGet(doc, op.From)
				v = clone(v)
			}
			if err == nil {
				doc, err = pointerSet(doc, op.Path, v, true)
			}
		case "test":
			var v any
			if v, err = pointerGet(doc, op.Path); err == nil && !jsonEqual(v, op.Value) {
				return nil, bad("the value is not the one the test expects")
			}
		}
		if err != nil {
			return nil, bad("%v", err)
		}
	}
	return doc, nil
}

// pointerTokens splits a JSON Pointer into its unescaped tokens.
func pointerTokens(ptr string) ([]string, error) {
	if ptr == "" {
		return nil, nil
	}
	if ptr[0] != '/' {
		return nil, crs.Errorf(crs.EINVALID, "%q is not a JSON Pointer", ptr)
	}
	toks := strings.Split(ptr[1:], "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return toks, nil
}

// index reads an array index token; end allows "-" and len(a).
func index(tok string, n int, end bool) (int, error) {
	if end && tok == "-" {
		return n, nil
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || (tok != "0" && tok[0] == '0') || i > n || (!end && i == n) {
		return 0, crs.Errorf(crs.EINVALID, "%q is not an index of an array of %d", tok, n)
	}
	return i, nil
}

func pointerGet(doc any, ptr string) (any, error) {
	toks, err := pointerTokens(ptr)
	if err != nil {
		return nil, err
	}
	cur := doc
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, crs.Errorf(crs.EINVALID, "%s has no element %q", ptr, t)
			}
			cur = v
		case []any:
			i, err := index(t, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, crs.Errorf(crs.EINVALID, "%s goes through a value that is not an object or array", ptr)
		}
	}
	return cur, nil
}

// pointerSet sets (add: inserts into arrays) the value at ptr and
// returns the document.
func pointerSet(doc any, ptr string, v any, insert bool) (any, error) {
	toks, err := pointerTokens(ptr)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return v, nil
	}
	parentPtr := ptr[:strings.LastIndexByte(ptr, '/')]
	parent, err := pointerGet(doc, parentPtr)
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = v
		return doc, nil
	case []any:
		i, err := index(last, len(c), insert)
		if err != nil {
			return nil, err
		}
		if insert {
			c = append(c[:i], append([]any{v}, c[i:]...)...)
		} else {
			c[i] = v
		}
		return pointerSet(doc, parentPtr, c, false)
	}
	return nil, crs.Errorf(crs.EINVALID, "%s is not inside an object or array", ptr)
}

// pointerRemove removes the value at ptr and returns the document and
// the value removed.
func pointerRemove(doc any, ptr string) (any, any, error) {
	toks, err := pointerTokens(ptr)
	if err != nil {
		return nil, nil, err
	}
	if len(toks) == 0 {
		return nil, nil, crs.Errorf(crs.EINVALID, "the whole resource cannot be removed")
	}
	parentPtr := ptr[:strings.LastIndexByte(ptr, '/')]
	parent, err := pointerGet(doc, parentPtr)
	if err != nil {
		return nil, nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, nil, crs.Errorf(crs.EINVALID, "%s is not there to remove", ptr)
		}
		delete(c, last)
		return doc, v, nil
	case []any:
		i, err := index(last, len(c), false)
		if err != nil {
			return nil, nil, err
		}
		v := c[i]
		c = append(c[:i:i], c[i+1:]...)
		doc, err = pointerSet(doc, parentPtr, c, false)
		return doc, v, err
	}
	return nil, nil, crs.Errorf(crs.EINVALID, "%s is not inside an object or array", ptr)
}

// clone copies a JSON value deeply, so a patch never shares a value
// between two places.
func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = clone(e)
		}
		return a
	}
	return v
}

// jsonEqual compares two JSON values, numbers by value (1.0 equals 1).
func jsonEqual(a, b any) bool {
	na, aok := a.(json.Number)
	nb, bok := b.(json.Number)
	if aok && bok {
		fa, ea := na.Float64()
		fb, eb := nb.Float64()
		return ea == nil && eb == nil && fa == fb
	}
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
