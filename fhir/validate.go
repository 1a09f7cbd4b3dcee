package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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
	v := &validator{sent: sent}
	v.resource(map[string]any(r), "")
	if len(v.issues) > 0 {
		return &Outcome{Status: 400, Issues: v.issues}
	}
	return nil
}

type validator struct {
	issues []Issue
	sent   bool // decodeSent's checks too
}

func (v *validator) fail(loc, format string, args ...any) {
	if len(v.issues) >= 100 {
		return
	}
	v.issues = append(v.issues, Issue{Severity: "error", Code: "structure", Diagnostics: fmt.Sprintf(format, args...), Expression: loc})
}

// resource validates a resource at loc ("" at the top, else the path of
// a contained or bundled resource).
func (v *validator) resource(obj map[string]any, loc string) {
	t, _ := obj["resourceType"].(string)
	if !isResource[t] {
		l := "resourceType"
		if loc != "" {
			l = loc + ".resourceType"
		}
		if t == "" {
			v.fail(l, "the resource has no resourceType")
		} else {
			v.fail(l, "%q is not an R4 resource type", t)
		}
		return
	}
	if loc == "" {
		loc = t
	}
	v.object(obj, t, loc, true)
}

// object validates the elements of obj, an instance of the type or
// backbone element def, found at loc.
func (v *validator) object(obj map[string]any, def, loc string, isRoot bool) {
	if v.sent {
		for _, name := range requiredOf[def] {
			if obj[name] == nil && obj["_"+name] == nil {
				v.fail(loc+"."+name, "%s.%s is required (%s requires it)", loc, name, def)
			}
		}
	}
	for k, val := range obj {
		if isRoot && k == "resourceType" {
			continue
		}
		at := loc + "." + k
		if strings.HasPrefix(k, "_") && len(k) > 1 {
			el := elementsByPath[def+"."+k[1:]]
			if el == nil || !isPrimitive[el.Types[0]] {
				v.fail(at, "%s is not a primitive element of %s, so it cannot have %s", k[1:], def, k)
				continue
			}
			v.primitiveExtension(val, el, at)
			continue
		}
		el := elementsByPath[def+"."+k]
		if el == nil {
			v.fail(at, "%s is not an element of %s in FHIR R4", k, def)
			continue
		}

		if el.Max != 1 {
			arr, ok := val.([]any)
			if !ok {
				v.fail(at, "%s repeats, so it must be a JSON array", k)
				continue
			}
			if len(arr) == 0 {
				v.fail(at, "%s is an empty array; leave it out instead", k)
			}
			for i, item := range arr {
				if item == nil && obj["_"+k] != nil {
					continue // the value is only in the primitive extension
				}
				v.value(item, el, fmt.Sprintf("%s[%d]", at, i))
			}
			continue
		}
		if _, ok := val.([]any); ok {
			v.fail(at, "%s occurs at most once, so it must not be an array", k)
			continue
		}
		v.value(val, el, at)
	}
}

func (v *validator) primitiveExtension(val any, el *Element, at string) {
	check := func(x any, loc string) {
		if x == nil {
			return
		}
		o, ok := x.(map[string]any)
		if !ok {
			v.fail(loc, "a primitive extension must be a JSON object")
			return
		}
		v.object(o, "Element", loc, false)
	}
	if el.Max != 1 {
		arr, ok := val.([]any)
		if !ok {
			v.fail(at, "the extensions of a repeating primitive must be an array")
			return
		}
		for i, x := range arr {
			check(x, fmt.Sprintf("%s[%d]", at, i))
		}
		return
	}
	check(val, at)
}

// value validates one occurrence of an element.
func (v *validator) value(val any, el *Element, at string) {
	def := el.Path
	if el.ContentRef != "" {
		def = el.ContentRef
		el = elementsByPath[def]
		if el == nil {
			return
		}
	}
	if len(el.Types) == 0 {
		return
	}
	t := el.Types[0]
	switch {
	case isPrimitive[t] || t == "string":
		v.primitive(val, t, at)
		if codes := requiredCodes[el.Path]; v.sent && codes != nil {
			if s, ok := val.(string); ok && s != "" && !slices.Contains(codes, s) {
				v.issues = append(v.issues, Issue{Severity: "error", Code: "code-invalid", Expression: at,
					Diagnostics: fmt.Sprintf("%s %q is not one of the codes R4 allows (%s)", at, s, strings.Join(codes, ", "))})
			}
		}
	case t == "Resource":
		o, ok := val.(map[string]any)
		if !ok {
			v.fail(at, "a resource must be a JSON object")
			return
		}
		v.resource(o, at)
	default:
		o, ok := val.(map[string]any)
		if !ok {
			v.fail(at, "%s must be a JSON object (a %s)", at, t)
			return
		}
		if len(o) == 0 {
			v.fail(at, "%s is an empty object; leave it out instead", at)
		}
		if t == "BackboneElement" || t == "Element" {
			v.object(o, def, at, false)
			return
		}
		v.object(o, t, at, false)
	}
}

func (v *validator) primitive(val any, t, at string) {
	switch t {
	case "boolean":
		if _, ok := val.(bool); !ok {
			v.fail(at, "%s must be true or false", at)
		}
	case "integer", "positiveInt", "unsignedInt", "decimal":
		n, ok := val.(json.Number)
		if !ok {
			v.fail(at, "%s must be a JSON number", at)
			return
		}
		if t != "decimal" && strings.ContainsAny(string(n), ".eE") {
			v.fail(at, "%s must be a whole number", at)
			return
		}
		if v.sent && t != "decimal" {
			i, err := strconv.ParseInt(string(n), 10, 32)
			switch {
			case err != nil:
				v.fail(at, "%s %s is out of range of an integer", at, n)
			case t == "positiveInt" && i < 1:
				v.fail(at, "%s must be 1 or more (a positiveInt)", at)
			case t == "unsignedInt" && i < 0:
				v.fail(at, "%s must be 0 or more (an unsignedInt)", at)
			}
		}
	default:
		s, ok := val.(string)
		if !ok {
			v.fail(at, "%s must be a JSON string (a %s)", at, t)
			return
		}
		if s == "" {
			v.fail(at, "%s is an empty string; leave it out instead", at)
			return
		}
		if !v.sent {
			return
		}
		valid := true
		switch t {
		case "uri", "url", "canonical": // no whitespace
			valid = strings.IndexFunc(s, unicode.IsSpace) < 0
		case "code": // no whitespace around it, nor two together
			valid = validCode(s)
		default:
			re := primitiveFormat[t]
			valid = re == nil || re.MatchString(s)
		}
		if !valid {
			v.fail(at, "%s %q is not a valid %s", at, s, t)
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
