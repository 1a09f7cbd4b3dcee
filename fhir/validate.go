package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

var (
	elementsByPath = map[string]*Element{}
	isPrimitive    = map[string]bool{}
	isComplex      = map[string]bool{}
	isResource     = map[string]bool{}
)

// requiredOf lists, by type or backbone element path, the elements it
// requires (at least one occurrence), a choice aside.
var requiredOf = map[string][]string{}

// primitiveFormat holds the R4 regular expression of each primitive
// type's string form that has one (the whole value must match).
var primitiveFormat = map[string]*regexp.Regexp{}

func init() {
	const (
		year = `([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)`
		date = year + `(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?`
		tim  = `([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?`
		zone = `(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))`
	)
	for t, re := range map[string]string{
		"date": date,
		// A time without a zone, which R4 refuses, is taken as the UK's
		// (Europe/London), as a search's is.
		"dateTime":     year + `(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T` + tim + zone + `?)?)?)?`,
		"instant":      year + `-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T` + tim + zone + `?`,
		"time":         tim,
		"id":           `[A-Za-z0-9\-\.]{1,64}`,
		"oid":          `urn:oid:[0-2](\.(0|[1-9][0-9]*))+`,
		"uuid":         `urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`,
		"base64Binary": `[A-Za-z0-9+/=\s]+`,
	} {
		primitiveFormat[t] = regexp.MustCompile(`^(` + re + `)$`)
	}
	for i := range elementTable {
		e := &elementTable[i]
		if _, dup := elementsByPath[e.Path]; !dup {
			elementsByPath[e.Path] = e
		}
		parent, name := e.Path[:strings.LastIndexByte(e.Path, '.')], e.Path[strings.LastIndexByte(e.Path, '.')+1:]
		if e.Min > 0 && !e.Choice && !slices.Contains(requiredOf[parent], name) {
			requiredOf[parent] = append(requiredOf[parent], name)
		}
	}
	for _, t := range primitiveTypes {
		isPrimitive[t] = true
	}
	for _, t := range complexTypes {
		isComplex[t] = true
	}
	for _, t := range resourceTypes {
		isResource[t] = true
	}
}

// IsResourceType reports whether t is a concrete R4 resource type.
func IsResourceType(t string) bool { return isResource[t] }

// Resource is one FHIR resource as received: its JSON decoded with
// numbers kept as their literal text (a decimal 1.50 stays 1.50), object
// keys and array order as the sender gave them.
type Resource map[string]any

// Type is the resource's resourceType.
func (r Resource) Type() string { s, _ := r["resourceType"].(string); return s }

// ID is the resource's logical id.
func (r Resource) ID() string { s, _ := r["id"].(string); return s }

// Decode reads one resource from JSON, keeping decimals exactly, and
// validates it against the R4 definitions. Its error is an *Outcome.
func Decode(data []byte) (Resource, error) { return decode(data, false) }

// decodeSent is Decode of a resource a client sends to be written, which
// is also checked for what Validate leaves to the writer: each primitive
// value in its type's format (a date a date), each code bound to a value
// set with strength required one of its codes (Observation.status final,
// not "done"), each element its type requires present. A stored resource is read with Decode, so that one
// written before these checks is still served.
func decodeSent(data []byte) (Resource, error) { return decode(data, true) }

func decode(data []byte, sent bool) (Resource, error) {
	v, ok := decodeJSON(data)
	if !ok {
		// Not one well-formed value: encoding/json says what is wrong.
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, invalid("structure", "", "the body is not valid JSON: %v", err)
		}
		if _, err := d.Token(); err != io.EOF {
			return nil, invalid("structure", "", "the body holds more than one JSON value")
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("structure", "", "a resource must be a JSON object")
	}
	r := Resource(obj)
	if err := validate(r, sent); err != nil {
		return nil, err
	}
	return r, nil
}

// Validate checks a resource against the R4 definitions: its
// resourceType is known, each element is one R4 defines, of the JSON
// kind its type asks for, single or repeating as its cardinality says.
// Every problem is one issue of the *Outcome returned, its expression
// naming the element's path (Patient.name[0].given).
func Validate(r Resource) error { return validate(r, false) }

// validateSent is Validate with decodeSent's checks.
func validateSent(r Resource) error { return validate(r, true) }

func validate(r Resource, sent bool) error {
	if sent {
		pruneEmpty(map[string]any(r))
	}
	v := &validator{sent: sent}
	v.resource(map[string]any(r))
	if len(v.issues) > 0 {
		return &Outcome{Status: 400, Issues: v.issues}
	}
	return nil
}

// schemaType is what the validator knows of a data type, a resource
// type or a backbone element (Patient.contact): its elements by name,
// and those it requires.
type schemaType struct {
	def      string
	elements map[string]*schemaElement
	required []requiredElement
}

// requiredElement is an element a type requires: present as its value
// (name) or only as a primitive's extension (_name).
type requiredElement struct{ name, ext string }

// schemaElement is one element of a schemaType, with what each of its
// occurrences is checked as.
type schemaElement struct {
	el *Element // as its type defines it (how many, whether primitive)
	// primitive says whether it may have a primitive extension (_name).
	primitive bool
	// kind says what an occurrence is: nothing to check (a repeated
	// definition not found), a primitive of type typ, a resource, or an
	// object of typ whose elements are object's.
	kind   valueKind
	typ    string
	codes  []string // for a code bound to a required value set, its codes
	object *schemaType
	// choice, for one type of a choice element (valueQuantity), is the
	// choice's name (value): an object holds one type of it at most.
	choice string
}

type valueKind uint8

const (
	notChecked valueKind = iota
	primitiveKind
	resourceKind
	objectKind
)

// schema holds, by type or backbone element path, what the validator
// checks of its elements, made once from the R4 definitions so that an
// element is found by its name alone.
var schema = map[string]*schemaType{}

// typeNamed returns the schemaType of def, one with no elements if R4
// defines none.
func typeNamed(def string) *schemaType {
	if st := schema[def]; st != nil {
		return st
	}
	return &schemaType{def: def}
}

// schemaTypeOf returns the schemaType of def, made if new; only while
// the schema is made, before any request.
func schemaTypeOf(def string) *schemaType {
	st := schema[def]
	if st == nil {
		st = &schemaType{def: def, elements: map[string]*schemaElement{}}
		schema[def] = st
	}
	return st
}

func init() {
	for path, el := range elementsByPath {
		i := strings.LastIndexByte(path, '.')
		e := &schemaElement{el: el, primitive: len(el.Types) > 0 && isPrimitive[el.Types[0]]}
		if el.Choice && len(el.Types) > 0 {
			e.choice = strings.TrimSuffix(path[i+1:], upperFirst(el.Types[0]))
		}
		schemaTypeOf(path[:i]).elements[path[i+1:]] = e
	}
	for parent, names := range requiredOf {
		st := schemaTypeOf(parent)
		for _, n := range names {
			st.required = append(st.required, requiredElement{name: n, ext: "_" + n})
		}
	}
	for _, st := range slices.Collect(maps.Values(schema)) {
		for _, e := range st.elements {
			def, el := e.el.Path, e.el
			if el.ContentRef != "" {
				def = el.ContentRef
				if el = elementsByPath[def]; el == nil {
					continue
				}
			}
			if len(el.Types) == 0 {
				continue
			}
			e.typ = el.Types[0]
			switch {
			case isPrimitive[e.typ] || e.typ == "string":
				e.kind, e.codes = primitiveKind, requiredCodes[el.Path]
			case e.typ == "Resource":
				e.kind = resourceKind
			case e.typ == "BackboneElement" || e.typ == "Element":
				e.kind, e.object = objectKind, schemaTypeOf(def)
			default:
				e.kind, e.object = objectKind, schemaTypeOf(e.typ)
			}
		}
	}
}

// validator gathers the issues of one resource. The path of the element
// being checked (Patient.name[0].given) is written in path as it goes,
// and made a string only for an issue.
type validator struct {
	issues []Issue
	sent   bool // decodeSent's checks too
	path   []byte
}

// fail adds an issue at the element being checked.
func (v *validator) fail(format string, args ...any) {
	v.failAt(string(v.path), format, args...)
}

func (v *validator) failAt(loc, format string, args ...any) {
	if len(v.issues) >= 100 {
		return
	}
	v.issues = append(v.issues, Issue{Severity: "error", Code: "structure", Diagnostics: fmt.Sprintf(format, args...), Expression: loc})
}

// at is the path of the element being checked.
func (v *validator) at() string { return string(v.path) }

// into goes down to the element name of the one being checked, and
// returns where to come back to.
func (v *validator) into(name string) int {
	n := len(v.path)
	v.path = append(append(v.path, '.'), name...)
	return n
}

// item goes down to the i-th occurrence of the element being checked.
func (v *validator) item(i int) int {
	n := len(v.path)
	v.path = append(strconv.AppendInt(append(v.path, '['), int64(i), 10), ']')
	return n
}

// checkValue validates one occurrence of el found at at, outside a
// resource (a value a patch puts in).
func (v *validator) checkValue(val any, el *Element, at string) {
	i := strings.LastIndexByte(el.Path, '.')
	if e := typeNamed(el.Path[:i]).elements[el.Path[i+1:]]; e != nil {
		v.path = append(v.path[:0], at...)
		v.value(val, e)
	}
}

// checkObject validates obj, an instance of def found at at, outside a
// resource.
func (v *validator) checkObject(obj map[string]any, def, at string) {
	v.path = append(v.path[:0], at...)
	v.object(obj, typeNamed(def), false)
}

// resource validates a resource at the path (empty at the top, else
// the path of a contained or bundled resource).
func (v *validator) resource(obj map[string]any) {
	t, _ := obj["resourceType"].(string)
	if !isResource[t] {
		l := "resourceType"
		if len(v.path) > 0 {
			l = v.at() + ".resourceType"
		}
		if t == "" {
			v.failAt(l, "the resource has no resourceType")
		} else {
			v.failAt(l, "%q is not an R4 resource type", t)
		}
		return
	}
	top := len(v.path) == 0
	if top {
		v.path = append(v.path, t...)
	}
	v.object(obj, typeNamed(t), true)
	if top {
		v.path = v.path[:0]
	}
}

// object validates the elements of obj, an instance of the type or
// backbone element st.
func (v *validator) object(obj map[string]any, st *schemaType, isRoot bool) {
	if v.sent {
		for _, r := range st.required {
			if obj[r.name] == nil && obj[r.ext] == nil {
				loc := v.at()
				v.failAt(loc+"."+r.name, "%s.%s is required (%s requires it)", loc, r.name, st.def)
			}
		}
	}
	// The types of choice elements met so far (valueQuantity, or its
	// _valueQuantity): a second type of one choice is refused, R4's
	// value[x] being one value of one type.
	chosen := make([]string, 0, 8)
	for k, val := range obj {
		if isRoot && k == "resourceType" {
			continue
		}
		name := k
		if len(k) > 1 && k[0] == '_' {
			name = k[1:]
		}
		e := st.elements[name]
		if e != nil && e.choice != "" {
			for _, c := range chosen {
				if c != name && st.elements[c].choice == e.choice {
					v.failAt(v.at()+"."+max(c, name), "%s[x] is a choice of one type, and %s has two: %s and %s", e.choice, v.at(), min(c, name), max(c, name))
				}
			}
			chosen = append(chosen, name)
		}
		back := v.into(k)
		v.member(obj, st, k, val, e)
		v.path = v.path[:back]
	}
}

// member validates the element k of obj, at the path; e is st's element
// of that name (of k less its _ for a primitive extension), nil for none.
func (v *validator) member(obj map[string]any, st *schemaType, k string, val any, e *schemaElement) {
	if strings.HasPrefix(k, "_") && len(k) > 1 {
		if e == nil || !e.primitive {
			v.fail("%s is not a primitive element of %s, so it cannot have %s", k[1:], st.def, k)
			return
		}
		v.primitiveExtension(val, e)
		return
	}
	if e == nil {
		v.fail("%s is not an element of %s in FHIR R4", k, st.def)
		return
	}
	if e.el.Max != 1 {
		arr, ok := val.([]any)
		if !ok {
			v.fail("%s repeats, so it must be a JSON array", k)
			return
		}
		if len(arr) == 0 {
			v.fail("%s is an empty array; leave it out instead", k)
		}
		for i, item := range arr {
			if item == nil && obj["_"+k] != nil {
				continue // the value is only in the primitive extension
			}
			back := v.item(i)
			v.value(item, e)
			v.path = v.path[:back]
		}
		return
	}
	if _, ok := val.([]any); ok {
		v.fail("%s occurs at most once, so it must not be an array", k)
		return
	}
	v.value(val, e)
}

func (v *validator) primitiveExtension(val any, e *schemaElement) {
	check := func(x any) {
		if x == nil {
			return
		}
		o, ok := x.(map[string]any)
		if !ok {
			v.fail("a primitive extension must be a JSON object")
			return
		}
		v.object(o, schemaElementType, false)
	}
	if e.el.Max != 1 {
		arr, ok := val.([]any)
		if !ok {
			v.fail("the extensions of a repeating primitive must be an array")
			return
		}
		for i, x := range arr {
			back := v.item(i)
			check(x)
			v.path = v.path[:back]
		}
		return
	}
	check(val)
}

// schemaElementType is Element, the type of a primitive's extensions.
var schemaElementType = schemaTypeOf("Element")

// value validates one occurrence of an element, at the path.
func (v *validator) value(val any, e *schemaElement) {
	switch e.kind {
	case primitiveKind:
		v.primitive(val, e.typ)
		if v.sent && e.codes != nil {
			if s, ok := val.(string); ok && s != "" && !slices.Contains(e.codes, s) {
				at := v.at()
				v.issues = append(v.issues, Issue{Severity: "error", Code: "code-invalid", Expression: at,
					Diagnostics: fmt.Sprintf("%s %q is not one of the codes R4 allows (%s)", at, s, strings.Join(e.codes, ", "))})
			}
		}
	case resourceKind:
		o, ok := val.(map[string]any)
		if !ok {
			v.fail("a resource must be a JSON object")
			return
		}
		v.resource(o)
	case objectKind:
		o, ok := val.(map[string]any)
		if !ok {
			v.fail("%s must be a JSON object (a %s)", v.at(), e.typ)
			return
		}
		if len(o) == 0 {
			v.fail("%s is an empty object; leave it out instead", v.at())
		}
		v.object(o, e.object, false)
	}
}

func (v *validator) primitive(val any, t string) {
	switch t {
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.fail("%s must be true or false", v.at())
		}
	case "integer", "positiveInt", "unsignedInt", "decimal":
		n, ok := val.(json.Number)
		if !ok {
			v.fail("%s must be a JSON number", v.at())
			return
		}
		if t != "decimal" && strings.ContainsAny(string(n), ".eE") {
			v.fail("%s must be a whole number", v.at())
			return
		}
		if v.sent && t != "decimal" {
			i, err := strconv.ParseInt(string(n), 10, 32)
			switch {
			case err != nil:
				v.fail("%s %s is out of range of an integer", v.at(), n)
			case t == "positiveInt" && i < 1:
				v.fail("%s must be 1 or more (a positiveInt)", v.at())
			case t == "unsignedInt" && i < 0:
				v.fail("%s must be 0 or more (an unsignedInt)", v.at())
			}
		}
	default:
		s, ok := val.(string)
		if !ok {
			v.fail("%s must be a JSON string (a %s)", v.at(), t)
			return
		}
		if s == "" {
			v.fail("%s is an empty string; leave it out instead", v.at())
			return
		}
		if !v.sent {
			return
		}
		valid := true
		switch t {
		case "uri", "url", "canonical": // no whitespace
			valid = !hasSpace(s)
		case "code": // no whitespace around it, nor two together
			valid = validCode(s)
		default:
			valid = validFormat(t, s)
		}
		if !valid {
			v.fail("%s %q is not a valid %s", v.at(), s, t)
		}
	}
}

// validCode reports whether s is in R4's form of a code: no whitespace
// before or after, and no two whitespace characters together.
func validCode(s string) bool {
	space := true // as if one came before the first character
	for _, r := range s {
		isSpace := unicode.IsSpace(r)
		if isSpace && space {
			return false
		}
		space = isSpace
	}
	return !space
}

// pruneEmpty takes out of a resource a client sent the empty objects and
// arrays R4's JSON leaves out (`"telecom":[{}]`, `"extension":[]`), and
// those they leave empty, as many systems write them: they hold nothing,
// so nothing sent is lost, and the resource is kept as R4 writes it. A
// primitive's extensions (`_given`, `_status`) are kept as sent: they
// pair with its values by position.
func pruneEmpty(obj map[string]any) {
	for k, val := range obj {
		if strings.HasPrefix(k, "_") {
			continue
		}
		switch x := val.(type) {
		case map[string]any:
			if pruneEmpty(x); len(x) == 0 {
				delete(obj, k)
			}
		case []any:
			kept := x[:0]
			for _, item := range x {
				if m, ok := item.(map[string]any); ok {
					if pruneEmpty(m); len(m) == 0 {
						continue
					}
				}
				kept = append(kept, item)
			}
			if len(kept) == 0 {
				delete(obj, k)
			} else {
				obj[k] = kept
			}
		}
	}
}
