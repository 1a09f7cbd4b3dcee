package fhir

import (
	"bytes"
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

// handlePatch answers patch (PATCH [type]/[id]) with a JSON Patch: the
// operations are applied to the current version in order, all or none,
// and the result, checked against R4 as any update is, is written as the
// next version. If-Match guards against lost updates as update does; a
// failed test operation answers 422 and changes nothing.
func (s *Server) handlePatch(w http.ResponseWriter, r *http.Request, p *Principal) error {
	typ, id := r.PathValue("type"), r.PathValue("id")
	if err := p.allow(typ, true); err != nil {
		return err
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, PatchContentType) {
		return &Outcome{Status: http.StatusUnsupportedMediaType, Issues: []Issue{{Severity: "error", Code: "not-supported", Diagnostics: "send a JSON Patch (" + PatchContentType + "), not " + ct}}}
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	ops, err := decodePatch(body)
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
	act, current := crs.ActRecordClinical, func(tx crs.Tx) (*crs.Resource, error) { return tx.GetResource(typ, id) }
	if s.pmi(typ) {
		// A patient of the PMI is patched as it is served, and the result
		// goes through the same demographics change as an update.
		act, current = crs.ActAmendDemographics, func(tx crs.Tx) (*crs.Resource, error) { return currentPatientIn(tx, id) }
	}
	var stored *crs.Resource
	err = s.Store.Write(r.Context(), p.Actor, act, func(tx crs.Tx) error {
		cur, err := current(tx)
		if err != nil {
			return err
		}
		if cur.Deleted {
			return outcomeOf(http.StatusGone, "deleted", "%s/%s was deleted (version %d)", typ, id, cur.Version)
		}
		if err := refuseNoteWrite(typ, id, cur, nil); err != nil {
			return err
		}
		if want != 0 && cur.Version != want {
			return outcomeOf(http.StatusPreconditionFailed, "conflict", "%s/%s is at version %d, not the version %d of If-Match", typ, id, cur.Version, want)
		}
		var doc any
		d := json.NewDecoder(bytes.NewReader(cur.Body))
		d.UseNumber()
		if err := d.Decode(&doc); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read %s/%s: %w", typ, id, err)
		}
		doc, err = applyPatch(doc, ops)
		if err != nil {
			return err
		}
		res, ok := doc.(map[string]any)
		if !ok || Resource(res).Type() != typ || Resource(res).ID() != id {
			return invalid("processing", typ, "the patch must keep the resource a %s with id %s", typ, id)
		}
		if err := validateSent(Resource(res)); err != nil {
			return err
		}
		if s.pmi(typ) {
			stored, err = updatePatientIn(tx, Resource(res), id, cur.Version)
			return err
		}
		stored, err = putVersion(tx, Resource(res), typ, id, cur.Version+1)
		return err
	})
	if err != nil {
		return err
	}
	writeResource(w, r, http.StatusOK, stored)
	return nil
}

// ifMatch reads the version an If-Match header names; 0 without one.
func ifMatch(r *http.Request) (int, error) {
	m := r.Header.Get("If-Match")
	if m == "" {
		return 0, nil
	}
	v, ok := parseETag(m)
	if !ok {
		return 0, invalid("invalid", "", "If-Match %q is not an ETag such as W/\"3\"", m)
	}
	return v, nil
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
