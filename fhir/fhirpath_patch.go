package fhir

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// fhirPathOp is one operation of a FHIRPath Patch (R4 fhirpatch.html):
// a parameter named operation of a Parameters resource, whose parts say
// what to do (type), where (path, a FHIRPath path), and with what (name,
// value, index, source, destination).
type fhirPathOp struct {
	at                         int // its place among the Parameters' parameters
	typ                        string
	path                       string
	steps                      []pathStep
	name                       string
	value                      *patchValue
	index, source, destination int
}

// patchValue is the value of an operation: a value[x] of one data type,
// or parts naming the elements of a complex or backbone value. A
// primitive value's id and extensions come beside it, as FHIR JSON
// carries them (valueDate with _valueDate); those of a complex value are
// in its JSON, or are parts of it (id, extension) like its elements.
type patchValue struct {
	typ   string // the data type value[x] names (date, ContactPoint); "" for parts
	json  any    // nil for a primitive given by its extensions alone
	ext   map[string]any
	parts []map[string]any
}

// fhirPathPatch reads the operations of a FHIRPath Patch from its
// Parameters; what is malformed is refused 400 naming the parameter.
func fhirPathPatch(res Resource) ([]fhirPathOp, error) {
	params, _ := res["parameter"].([]any)
	ops := make([]fhirPathOp, 0, len(params))
	for i, raw := range params {
		at := fmt.Sprintf("Parameters.parameter[%d]", i)
		param, _ := raw.(map[string]any)
		if name, _ := param["name"].(string); name != "operation" {
			return nil, invalid("structure", at, "parameter %d is %q: a FHIRPath Patch holds only parameters named operation", i, name)
		}
		op := fhirPathOp{at: i, index: -1, source: -1, destination: -1}
		texts := map[string]*string{"type": &op.typ, "path": &op.path, "name": &op.name}
		numbers := map[string]*int{"index": &op.index, "source": &op.source, "destination": &op.destination}
		seen := map[string]bool{}
		parts, _ := param["part"].([]any)
		for j, rp := range parts {
			part, _ := rp.(map[string]any)
			pname, _ := part["name"].(string)
			pat := fmt.Sprintf("%s.part[%d]", at, j)
			if seen[pname] {
				return nil, invalid("structure", pat, "operation %d gives %s twice", i, pname)
			}
			seen[pname] = true
			switch {
			case texts[pname] != nil:
				s, ok := primitiveOf(part).(string)
				if !ok || s == "" {
					return nil, invalid("structure", pat, "operation %d: %s must be a text value (valueString or valueCode)", i, pname)
				}
				*texts[pname] = s
			case numbers[pname] != nil:
				n, ok := primitiveOf(part).(json.Number)
				v, err := strconv.Atoi(string(n))
				if !ok || err != nil || v < 0 {
					return nil, invalid("structure", pat, "operation %d: %s must be a whole number of 0 or more (valueInteger)", i, pname)
				}
				*numbers[pname] = v
			case pname == "value":
				v, err := patchValueOf(part, pat)
				if err != nil {
					return nil, err
				}
				op.value = v
			default:
				return nil, invalid("structure", pat, "operation %d: %q is not a part of a FHIRPath Patch operation (type, path, name, value, index, source, destination)", i, pname)
			}
		}
		var need []string
		switch op.typ {
		case "add":
			need = []string{"path", "name", "value"}
		case "insert":
			need = []string{"path", "value", "index"}
		case "delete":
			need = []string{"path"}
		case "replace":
			need = []string{"path", "value"}
		case "move":
			need = []string{"path", "source", "destination"}
		default:
			return nil, invalid("structure", at, "operation %d: type %q is not a FHIRPath Patch operation (add, insert, delete, replace, move)", i, op.typ)
		}
		for _, n := range need {
			if !seen[n] {
				return nil, invalid("required", at, "operation %d (%s %s) has no %s", i, op.typ, op.path, n)
			}
		}
		steps, err := parsePath(op.path)
		if err != nil {
			return nil, invalid("invalid", at, "operation %d (%s %s): the path is not one a patch takes: %v", i, op.typ, op.path, err)
		}
		if len(steps) == 0 {
			return nil, invalid("invalid", at, "operation %d (%s): the path is empty", i, op.typ)
		}
		op.steps = steps
		ops = append(ops, op)
	}
	return ops, nil
}

// primitiveOf is the value[x] of a part when it is a primitive.
func primitiveOf(part map[string]any) any {
	for k, v := range part {
		if strings.HasPrefix(k, "value") {
			return v
		}
	}
	return nil
}

// patchValueOf reads the value of a part: its value[x], its resource
// (a contained resource), or its parts.
func patchValueOf(part map[string]any, at string) (*patchValue, error) {
	if parts, ok := part["part"].([]any); ok {
		v := &patchValue{}
		for _, p := range parts {
			m, _ := p.(map[string]any)
			v.parts = append(v.parts, m)
		}
		return v, nil
	}
	if r, ok := part["resource"]; ok {
		return &patchValue{typ: "Resource", json: r}, nil
	}
	var v *patchValue
	var extKey string
	var ext any
	for k, val := range part {
		if t, ok := strings.CutPrefix(k, "_value"); ok {
			// The id and extensions of a primitive value, which may
			// stand alone (a value known only by its extensions).
			extKey, ext = k, val
			if v == nil {
				v = &patchValue{typ: lowerFirst(t)}
			}
			continue
		}
		if t, ok := strings.CutPrefix(k, "value"); ok && t != "" {
			typ := t
			if isPrimitive[lowerFirst(t)] {
				typ = lowerFirst(t)
			} else if !isComplex[t] {
				return nil, invalid("structure", at+"."+k, "%s is not a value of an R4 data type", k)
			}
			v = &patchValue{typ: typ, json: val}
		}
	}
	if extKey == "" {
		if v == nil {
			return nil, invalid("required", at, "the value has neither a value[x] nor parts")
		}
		return v, nil
	}
	m, ok := ext.(map[string]any)
	switch {
	case !isPrimitive[v.typ]:
		return nil, invalid("structure", at+"."+extKey, "%s: only a primitive value has its id and extensions beside it; those of a %s are in its value", extKey, v.typ)
	case "_value"+upperFirst(v.typ) != extKey:
		return nil, invalid("structure", at+"."+extKey, "%s is beside a value%s: give the id and extensions of the value as _value%s", extKey, upperFirst(v.typ), upperFirst(v.typ))
	case !ok || len(m) == 0:
		return nil, invalid("structure", at+"."+extKey, "%s must be an object holding the value's id or extensions", extKey)
	}
	v.ext = m
	return v, nil
}

// lowerFirst is s with its first letter in lower case: the name of a
// primitive type from a value[x] (Date to date).
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// apply applies the FHIRPath Patch to doc, a resource of type typ, in
// order; the first operation that cannot be applied is the error, 422
// naming it and its path.
func applyFHIRPathPatch(doc map[string]any, typ string, ops []fhirPathOp) error {
	for i := range ops {
		if err := ops[i].apply(doc, typ); err != nil {
			return err
		}
	}
	return nil
}

// failed is the refusal of the operation, 422 naming it and its path.
func (op *fhirPathOp) failed(format string, args ...any) error {
	return &Outcome{Status: http.StatusUnprocessableEntity, Issues: []Issue{{Severity: "error", Code: "processing",
		Diagnostics: fmt.Sprintf("patch operation %d (%s %s): ", op.at, op.typ, op.path) + fmt.Sprintf(format, args...),
		Expression:  fmt.Sprintf("Parameters.parameter[%d]", op.at)}}}
}

func (op *fhirPathOp) apply(doc map[string]any, typ string) error {
	switch op.typ {
	case "add":
		nodes, err := op.selectIn(doc, typ, op.steps)
		if err != nil {
			return err
		}
		if len(nodes) != 1 {
			return op.failed("the path matches %d elements; add needs the one to add %s to", len(nodes), op.name)
		}
		n := nodes[0]
		obj, ok := n.value.(map[string]any)
		if !ok {
			return op.failed("the path matches a primitive value, which has no element %s", op.name)
		}
		key, el, def, etyp, err := op.element(n.def, op.name)
		if err != nil {
			return err
		}
		val, ext, err := op.valueFor(el, def, etyp)
		if err != nil {
			return err
		}
		if el.Max != 1 {
			insertAt(obj, key, arrayOf(obj[key]), len(arrayOf(obj[key])), val, ext)
			return nil
		}
		for k := range obj {
			if k == op.name || choiceOf(n.def, op.name, k) || k == "_"+op.name || strings.HasPrefix(k, "_") && choiceOf(n.def, op.name, k[1:]) {
				return op.failed("%s already has %s; replace it instead", n.def, op.name)
			}
		}
		setElement(obj, key, val, ext)
	case "insert", "move":
		obj, def, key, el, list, err := op.list(doc, typ)
		if err != nil {
			return err
		}
		if op.typ == "insert" {
			if op.index > len(list) {
				return op.failed("index %d is past the end of the %d elements of the list", op.index, len(list))
			}
			_, cdef, etyp := elementOf(def, key)
			val, ext, err := op.valueFor(el, cdef, etyp)
			if err != nil {
				return err
			}
			insertAt(obj, key, list, op.index, val, ext)
			return nil
		}
		if op.source >= len(list) || op.destination >= len(list) {
			return op.failed("source %d and destination %d must be within the %d elements of the list", op.source, op.destination, len(list))
		}
		moveIn(obj, key, op.source, op.destination)
	case "delete":
		nodes, err := op.selectIn(doc, typ, op.steps)
		if err != nil {
			return err
		}
		switch {
		case len(nodes) == 0:
			return nil // R4: delete the element if it is there
		case len(nodes) > 1:
			return op.failed("the path matches %d elements; delete takes one", len(nodes))
		case nodes[0].parent == nil:
			return op.failed("the resource itself cannot be deleted by a patch")
		}
		n := nodes[0]
		if n.index < 0 {
			delete(n.parent, n.key)
			delete(n.parent, "_"+n.key)
			return nil
		}
		removeAt(n.parent, n.key, n.index)
	case "replace":
		nodes, err := op.selectIn(doc, typ, op.steps)
		if err != nil {
			return err
		}
		switch {
		case len(nodes) == 0:
			return op.failed("the path matches nothing to replace")
		case len(nodes) > 1:
			return op.failed("the path matches %d elements; replace takes one", len(nodes))
		case nodes[0].parent == nil:
			return op.failed("the whole resource is replaced by an update (PUT), not a patch")
		}
		n := nodes[0]
		key, el, def, etyp := n.key, n.el, "", ""
		if n.el.Choice && op.value.typ != "" {
			// A choice may change type: valueQuantity replaced by valueString.
			if key, el, def, etyp, err = op.element(n.in, n.name); err != nil {
				return err
			}
		} else {
			_, def, etyp = elementOf(n.in, n.key)
		}
		val, ext, err := op.valueFor(el, def, etyp)
		if err != nil {
			return err
		}
		if n.index >= 0 {
			list := arrayOf(n.parent[n.key])
			list[n.index] = val
			setExtensionAt(n.parent, n.key, len(list), n.index, ext)
			return nil
		}
		delete(n.parent, n.key)
		delete(n.parent, "_"+n.key)
		setElement(n.parent, key, val, ext)
	}
	return nil
}

// selectIn evaluates steps against doc, an error naming the operation.
func (op *fhirPathOp) selectIn(doc map[string]any, typ string, steps []pathStep) ([]pathNode, error) {
	nodes, err := selectPath(doc, typ, steps)
	if err != nil {
		return nil, op.failed("%v", err)
	}
	return nodes, nil
}

// list finds the list an insert or move works in: the path names one
// repeating element of one object.
func (op *fhirPathOp) list(doc map[string]any, typ string) (obj map[string]any, def, key string, el *Element, list []any, err error) {
	last := op.steps[len(op.steps)-1]
	if last.kind != stepElement {
		return nil, "", "", nil, nil, op.failed("%s takes the path of a list (Patient.name), not of an element in it", op.typ)
	}
	nodes, err := op.selectIn(doc, typ, op.steps[:len(op.steps)-1])
	if err != nil {
		return nil, "", "", nil, nil, err
	}
	if len(nodes) != 1 {
		return nil, "", "", nil, nil, op.failed("the path's list is in %d elements; %s needs one", len(nodes), op.typ)
	}
	obj, ok := nodes[0].value.(map[string]any)
	if !ok {
		return nil, "", "", nil, nil, op.failed("the path goes through a primitive value")
	}
	def, key = nodes[0].def, last.name
	el = elementsByPath[def+"."+key]
	if el == nil || el.Max == 1 {
		return nil, "", "", nil, nil, op.failed("%s is not a repeating element of %s", key, def)
	}
	return obj, def, key, el, arrayOf(obj[key]), nil
}

// element finds the element name of def that the operation's value
// goes in: the element itself, or the type of a choice the value[x]
// names (value with valueQuantity is valueQuantity).
func (op *fhirPathOp) element(def, name string) (key string, el *Element, childDef, typ string, err error) {
	if el, childDef, typ = elementOf(def, name); el != nil {
		return name, el, childDef, typ, nil
	}
	if !hasChoice(def, name) {
		return "", nil, "", "", op.failed("%s is not an element of %s in R4", name, def)
	}
	if op.value.typ == "" || op.value.typ == "Resource" {
		return "", nil, "", "", op.failed("%s of %s is a choice of types: give the value as value[x] of one of them", name, def)
	}
	key = name + upperFirst(op.value.typ)
	if el, childDef, typ = elementOf(def, key); el == nil || !el.Choice {
		return "", nil, "", "", op.failed("%s of %s cannot be a %s", name, def, op.value.typ)
	}
	return key, el, childDef, typ, nil
}

// valueFor is the operation's value as the JSON of element el (of type
// typ, its elements those of def), with, for a primitive, the id and
// extensions that go beside it (_element); refused unless the element
// takes it and it is valid R4 there.
func (op *fhirPathOp) valueFor(el *Element, def, typ string) (any, map[string]any, error) {
	val, ext, err := op.build(op.value, el, def, typ, el.Path)
	if err != nil {
		return nil, nil, err
	}
	v := &validator{sent: true}
	if val != nil {
		v.checkValue(val, el, el.Path)
	}
	if ext != nil {
		v.checkObject(ext, "Element", "_"+el.Path)
	}
	if len(v.issues) > 0 {
		msgs := make([]string, len(v.issues))
		for i, is := range v.issues {
			msgs[i] = is.Diagnostics
		}
		return nil, nil, op.failed("the value does not fit %s: %s", el.Path, strings.Join(msgs, "; "))
	}
	return val, ext, nil
}

// build turns a value into JSON for an element of type typ whose
// elements are those of def, and a primitive's id and extensions into
// the JSON that goes beside it.
func (op *fhirPathOp) build(pv *patchValue, el *Element, def, typ, at string) (any, map[string]any, error) {
	if pv.parts == nil {
		if !takesType(typ, pv.typ) {
			return nil, nil, op.failed("%s is a %s, which a value%s is not", at, typ, upperFirst(pv.typ))
		}
		var ext map[string]any
		if pv.ext != nil {
			ext = clone(pv.ext).(map[string]any)
		}
		return clone(pv.json), ext, nil
	}
	if isPrimitive[typ] || typ == "Resource" {
		return nil, nil, op.failed("%s is a %s: give it as value[x], not parts", at, typ)
	}
	obj := map[string]any{}
	for i, part := range pv.parts {
		name, _ := part["name"].(string)
		cv, err := patchValueOf(part, fmt.Sprintf("Parameters.parameter[%d]", op.at))
		if err != nil {
			return nil, nil, op.failed("part %d (%s) of the value: %s", i, name, asOutcome(err).Issues[0].Diagnostics)
		}
		key := name
		cel, cdef, ctyp := elementOf(def, name)
		if (cel == nil || cel.Choice) && cv.typ != "" {
			key = name + upperFirst(cv.typ)
			cel, cdef, ctyp = elementOf(def, key)
		}
		if cel == nil {
			return nil, nil, op.failed("%s is not an element of %s in R4", name, def)
		}
		val, ext, err := op.build(cv, cel, cdef, ctyp, at+"."+name)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case cel.Max != 1:
			list := arrayOf(obj[key])
			insertAt(obj, key, list, len(list), val, ext)
		case obj[key] != nil || obj["_"+key] != nil:
			return nil, nil, op.failed("%s.%s occurs at most once but the value gives it twice", at, name)
		default:
			setElement(obj, key, val, ext)
		}
	}
	return obj, nil, nil
}

// takesType reports whether an element of type want takes a value[x]
// of type got: the same type, a primitive in another primitive's form
// (valueString for a date, checked as a date after), or a quantity of
// the kind asked.
func takesType(want, got string) bool {
	switch {
	case want == got:
		return true
	case isPrimitive[want] && isPrimitive[got]:
		return true
	case want == "Quantity":
		return got == "Age" || got == "Count" || got == "Distance" || got == "Duration"
	case got == "Quantity":
		return want == "Age" || want == "Count" || want == "Distance" || want == "Duration"
	}
	return false
}

func arrayOf(v any) []any { a, _ := v.([]any); return a }

// setElement sets the single element key of obj to val, and its id
// and extensions (_key) to ext when it has them; a nil val leaves the
// value out, the primitive then known by its extensions alone.
func setElement(obj map[string]any, key string, val any, ext map[string]any) {
	if val != nil {
		obj[key] = val
	}
	if ext != nil {
		obj["_"+key] = ext
	}
}

// insertAt inserts val at i of the list key of obj, keeping the list of
// its primitives' ids and extensions (_key) in step: ext, or null where
// the value has none.
func insertAt(obj map[string]any, key string, list []any, i int, val any, ext map[string]any) {
	list = append(list[:i:i], append([]any{val}, list[i:]...)...)
	obj[key] = list
	if exts, ok := obj["_"+key].([]any); ok && i <= len(exts) {
		obj["_"+key] = append(exts[:i:i], append([]any{nil}, exts[i:]...)...)
	}
	setExtensionAt(obj, key, len(list), i, ext)
}

// setExtensionAt sets the id and extensions of item i of the list key
// of obj, n long, to ext (nil for none): the list _key beside it is made
// as long as the list, null where an item has none, and left out when
// no item has any.
func setExtensionAt(obj map[string]any, key string, n, i int, ext map[string]any) {
	exts := arrayOf(obj["_"+key])
	if ext == nil && i >= len(exts) {
		return
	}
	for len(exts) < n {
		exts = append(exts, nil)
	}
	if ext != nil {
		exts[i] = ext
	} else {
		exts[i] = nil
	}
	obj["_"+key] = exts
	dropEmptyExtensions(obj, key)
}

// dropEmptyExtensions leaves out the list _key of obj when no item of
// the list key has an id or extensions.
func dropEmptyExtensions(obj map[string]any, key string) {
	for _, x := range arrayOf(obj["_"+key]) {
		if x != nil {
			return
		}
	}
	delete(obj, "_"+key)
}

// removeAt removes item i of the list key of obj, and the list when it
// is left empty.
func removeAt(obj map[string]any, key string, i int) {
	list := arrayOf(obj[key])
	list = append(list[:i:i], list[i+1:]...)
	if len(list) == 0 {
		delete(obj, key)
		delete(obj, "_"+key)
		return
	}
	obj[key] = list
	if exts, ok := obj["_"+key].([]any); ok && i < len(exts) {
		obj["_"+key] = append(exts[:i:i], exts[i+1:]...)
		dropEmptyExtensions(obj, key)
	}
}

// moveIn moves item from of the list key of obj to place to.
func moveIn(obj map[string]any, key string, from, to int) {
	for _, k := range []string{key, "_" + key} {
		list, ok := obj[k].([]any)
		if !ok || from >= len(list) || to >= len(list) {
			continue
		}
		v := list[from]
		list = append(list[:from:from], list[from+1:]...)
		obj[k] = append(list[:to:to], append([]any{v}, list[to:]...)...)
	}
}
