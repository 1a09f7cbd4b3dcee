package fhir

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/opencrs/crs/internal/jsontext"
)

// XMLContentType is the media type of FHIR XML.
const XMLContentType = "application/fhir+xml"

// The namespaces of FHIR XML: every FHIR element is in fhirNS, the
// narrative's div and what it holds in xhtmlNS.
const (
	fhirNS  = "http://hl7.org/fhir"
	xhtmlNS = "http://www.w3.org/1999/xhtml"
	xmlNS   = "http://www.w3.org/XML/1998/namespace"
	xsiNS   = "http://www.w3.org/2001/XMLSchema-instance"
)

// maxXMLDepth is how deeply the elements of a FHIR XML body may nest.
const maxXMLDepth = 1000

// The forms of FHIR XML's numeric values, which JSON writes as numbers.
var (
	xmlInteger = regexp.MustCompile(`^-?[0-9]+$`)
	xmlDecimal = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// isNumeric reports whether a primitive type is written in JSON as a
// number.
func isNumeric(t string) bool {
	switch t {
	case "integer", "positiveInt", "unsignedInt", "decimal":
		return true
	}
	return false
}

// elementOf is the definition of an element of def by its name, with
// the definition whose elements it holds (def.name for a backbone
// element, the repeated definition's path for a content reference, else
// its type) and its type; nil when R4 has no such element.
func elementOf(def, name string) (el *Element, childDef, typ string) {
	el = elementsByPath[def+"."+name]
	if el == nil {
		return nil, "", ""
	}
	childDef = el.Path
	types := el.Types
	if el.ContentRef != "" {
		childDef = el.ContentRef
		if ref := elementsByPath[el.ContentRef]; ref != nil {
			types = ref.Types
		}
	}
	if len(types) > 0 {
		typ = types[0]
	}
	if typ != "BackboneElement" && typ != "Element" {
		childDef = typ
	}
	return el, childDef, typ
}

// xmlToJSON reads a FHIR XML resource and returns the FHIR JSON the API
// takes: arrays where an element repeats, numbers and booleans as JSON
// numbers and booleans (a decimal as written), a primitive's id and
// extensions as its _name object, choice elements by their typed names,
// resources inside resources as objects. What is not well-formed, not in
// the FHIR namespace or not an element of R4 is refused with an
// *Outcome naming the element and the line.
func xmlToJSON(data []byte) ([]byte, error) {
	r := &xmlReader{d: xml.NewDecoder(bytes.NewReader(data))}
	root, err := r.root()
	if err != nil {
		return nil, err
	}
	return root.appendJSON(make([]byte, 0, len(data)/2)), nil
}

// xmlReader reads one FHIR XML document.
type xmlReader struct {
	d     *xml.Decoder
	depth int
}

// fail is the refusal of what was read at loc, with the line it is on.
func (r *xmlReader) fail(loc, format string, args ...any) error {
	line, _ := r.d.InputPos()
	msg := fmt.Sprintf(format, args...)
	return invalid("structure", loc, "%s (FHIR XML, line %d)", msg, line)
}

// token is the next token, a malformed document refused.
func (r *xmlReader) token(loc string) (xml.Token, error) {
	t, err := r.d.Token()
	if err == io.EOF {
		return nil, r.fail(loc, "the XML ends before %s is closed", loc)
	}
	if err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, invalid("structure", loc, "the body is not well-formed XML: %s (line %d)", se.Msg, se.Line)
		}
		return nil, r.fail(loc, "the body is not well-formed XML: %v", err)
	}
	return t, nil
}

func (r *xmlReader) root() (*jsonObject, error) {
	var obj *jsonObject
	for {
		t, err := r.d.Token()
		if err == io.EOF {
			if obj == nil {
				return nil, invalid("structure", "", "the body holds no FHIR XML resource")
			}
			return obj, nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, invalid("structure", "", "the body is not well-formed XML: %s (line %d)", se.Msg, se.Line)
			}
			return nil, r.fail("", "the body is not well-formed XML: %v", err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if obj != nil {
				return nil, r.fail("", "the body holds more than one root element (%s after the resource)", t.Name.Local)
			}
			if obj, err = r.resource(t, ""); err != nil {
				return nil, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return nil, r.fail("", "text outside the resource element")
			}
		case xml.Directive:
			return nil, r.fail("", "a document type declaration is not taken in FHIR XML")
		}
	}
}

// resource reads a resource from its start element; loc is where it is
// (a contained or bundled resource's element path, "" at the root).
func (r *xmlReader) resource(start xml.StartElement, loc string) (*jsonObject, error) {
	t := start.Name.Local
	at := t
	if loc != "" {
		at = loc
	}
	if start.Name.Space != fhirNS {
		return nil, r.fail(at, "%s is not in the FHIR namespace (xmlns=%q)", t, fhirNS)
	}
	if !isResource[t] {
		return nil, r.fail(at, "%s is not an R4 resource type", t)
	}
	for _, a := range start.Attr {
		if !ignoredAttr(a) {
			return nil, r.fail(at, "the attribute %s is not FHIR XML of a resource", a.Name.Local)
		}
	}
	obj := &jsonObject{}
	obj.set("resourceType", jsonText(t))
	if loc == "" {
		loc = t
	}
	if err := r.children(obj, t, loc, true); err != nil {
		return nil, err
	}
	return obj, nil
}

// ignoredAttr reports whether an attribute is no content of FHIR: a
// namespace declaration or an XML Schema instance attribute
// (xsi:schemaLocation).
func ignoredAttr(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" || a.Name.Space == xsiNS
}

// children reads the elements of an instance of def into obj, up to the
// end of the element that holds them.
func (r *xmlReader) children(obj *jsonObject, def, loc string, isRoot bool) error {
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxXMLDepth {
		return r.fail(loc, "the elements nest more than %d deep", maxXMLDepth)
	}
	for {
		t, err := r.token(loc)
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return r.fail(loc, "text %q is not FHIR XML: values are written in value attributes", truncate(strings.TrimSpace(string(t)), 40))
			}
		case xml.StartElement:
			name := t.Name.Local
			at := loc + "." + name
			el, childDef, typ := elementOf(def, name)
			switch {
			case t.Name.Space != fhirNS && typ != "xhtml":
				return r.fail(at, "%s is not in the FHIR namespace (xmlns=%q)", name, fhirNS)
			case el == nil:
				return r.fail(at, "%s is not an element of %s in FHIR R4", name, def)
			case !isRoot && name == "id", def == "Extension" && name == "url":
				return r.fail(at, "%s of %s is written as an attribute in FHIR XML, not an element", name, def)
			}
			many := el.Max != 1
			if many {
				at = fmt.Sprintf("%s[%d]", at, obj.count(name))
			} else if obj.get(name) != nil || obj.get("_"+name) != nil {
				return r.fail(at, "%s occurs at most once in %s", name, def)
			}
			if err := r.element(obj, t, name, many, childDef, typ, at); err != nil {
				return err
			}
		}
	}
}

// element reads one occurrence of an element into obj.
func (r *xmlReader) element(obj *jsonObject, start xml.StartElement, name string, many bool, childDef, typ, at string) error {
	switch {
	case typ == "xhtml":
		if start.Name.Local != "div" || start.Name.Space != xhtmlNS {
			return r.fail(at, "the narrative must be a div in the XHTML namespace (<div xmlns=%q>)", xhtmlNS)
		}
		var b bytes.Buffer
		if err := writeXHTML(&b, r.d, start); err != nil {
			return r.fail(at, "the narrative: %v", err)
		}
		obj.add(name, jsonText(b.String()), many)
		return nil
	case isPrimitive[typ]:
		return r.primitive(obj, start, name, many, typ, at)
	case typ == "Resource" || isResource[typ]:
		var inner *jsonObject
		for {
			t, err := r.token(at)
			if err != nil {
				return err
			}
			switch t := t.(type) {
			case xml.StartElement:
				if inner != nil {
					return r.fail(at, "%s holds more than one resource", name)
				}
				r.depth++
				inner, err = r.resource(t, at)
				r.depth--
				if err != nil {
					return err
				}
				if typ != "Resource" && t.Name.Local != typ {
					return r.fail(at, "%s holds a resource of type %s, not %s", name, typ, t.Name.Local)
				}
			case xml.CharData:
				if len(bytes.TrimSpace(t)) > 0 {
					return r.fail(at, "text is not FHIR XML: %s holds a resource element", name)
				}
			case xml.EndElement:
				if inner == nil {
					return r.fail(at, "%s holds no resource (its element is named by its type: <%s><Patient>...)", name, name)
				}
				obj.add(name, inner, many)
				return nil
			}
		}
	}
	sub := &jsonObject{}
	for _, a := range start.Attr {
		switch {
		case ignoredAttr(a):
		case a.Name.Space == "" && a.Name.Local == "id":
			sub.set("id", jsonText(a.Value))
		case a.Name.Space == "" && a.Name.Local == "url" && typ == "Extension":
			sub.set("url", jsonText(a.Value))
		default:
			return r.fail(at, "the attribute %s is not FHIR XML of %s", a.Name.Local, name)
		}
	}
	if err := r.children(sub, childDef, at, false); err != nil {
		return err
	}
	if len(sub.fields) == 0 {
		return r.fail(at, "%s is empty: leave it out instead", name)
	}
	obj.add(name, sub, many)
	return nil
}

// primitive reads a primitive element: its value attribute, and its id
// and extensions, which JSON holds as the element's _name.
func (r *xmlReader) primitive(obj *jsonObject, start xml.StartElement, name string, many bool, typ, at string) error {
	var value jsonValue
	ext := &jsonObject{}
	for _, a := range start.Attr {
		switch {
		case ignoredAttr(a):
		case a.Name.Space == "" && a.Name.Local == "value":
			v, err := r.primitiveValue(a.Value, typ, at)
			if err != nil {
				return err
			}
			value = v
		case a.Name.Space == "" && a.Name.Local == "id":
			ext.set("id", jsonText(a.Value))
		default:
			return r.fail(at, "the attribute %s is not FHIR XML of %s (a %s has value, id and extensions)", a.Name.Local, name, typ)
		}
	}
	if err := r.children(ext, "Element", at, false); err != nil {
		return err
	}
	if value == nil && len(ext.fields) == 0 {
		return r.fail(at, "%s has neither a value nor an extension", name)
	}
	var extValue jsonValue
	if len(ext.fields) > 0 {
		extValue = ext
	}
	obj.addPrimitive(name, value, extValue, many)
	return nil
}

// primitiveValue is the JSON of a value attribute of a primitive of type
// t: a number as written, true or false, else a string.
func (r *xmlReader) primitiveValue(s, t, at string) (jsonValue, error) {
	switch {
	case s == "":
		return nil, r.fail(at, "the value is empty: FHIR leaves out an element without a value")
	case t == "boolean":
		if s != "true" && s != "false" {
			return nil, r.fail(at, "%q is not a boolean (true or false)", s)
		}
		return jsonRaw(s), nil
	case t == "decimal":
		if !xmlDecimal.MatchString(s) {
			return nil, r.fail(at, "%q is not a decimal", s)
		}
		return jsonRaw(s), nil
	case isNumeric(t):
		if !xmlInteger.MatchString(s) {
			return nil, r.fail(at, "%q is not a whole number (a %s)", s, t)
		}
		return jsonRaw(s), nil
	}
	return jsonText(s), nil
}

// truncate shortens s to at most n bytes for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// writeXHTML writes the XHTML element that start opens, read from d up
// to its end, as XML text: the div in the XHTML namespace declared as
// the default, its elements unprefixed, text and attribute values
// escaped, an empty element closed as <br/>. An element outside XHTML
// or an attribute in another namespace (other than xml:lang) is an
// error.
func writeXHTML(b *bytes.Buffer, d *xml.Decoder, start xml.StartElement) error {
	depth := 0
	open := false // a start tag is written without its '>'
	writeStart := func(e xml.StartElement, root bool) error {
		if e.Name.Space != xhtmlNS && e.Name.Space != "" {
			return fmt.Errorf("<%s> is not XHTML", e.Name.Local)
		}
		b.WriteByte('<')
		b.WriteString(e.Name.Local)
		if root {
			b.WriteString(` xmlns="` + xhtmlNS + `"`)
		}
		for _, a := range e.Attr {
			name := a.Name.Local
			switch a.Name.Space {
			case "":
				if name == "xmlns" {
					continue
				}
			case "xmlns":
				continue
			case xmlNS, "xml":
				name = "xml:" + name
			default:
				return fmt.Errorf("the attribute %s of <%s> is not XHTML", a.Name.Local, e.Name.Local)
			}
			b.WriteByte(' ')
			b.WriteString(name)
			b.WriteString(`="`)
			escapeXML(b, a.Value, true)
			b.WriteByte('"')
		}
		open = true
		return nil
	}
	if err := writeStart(start, true); err != nil {
		return err
	}
	closeOpen := func() {
		if open {
			b.WriteByte('>')
			open = false
		}
	}
	for {
		t, err := d.Token()
		if err == io.EOF {
			return errors.New("the XHTML ends before its div is closed")
		}
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			closeOpen()
			if depth++; depth > maxXMLDepth {
				return fmt.Errorf("the XHTML nests more than %d deep", maxXMLDepth)
			}
			if err := writeStart(t, false); err != nil {
				return err
			}
		case xml.EndElement:
			if open {
				b.WriteString("/>")
				open = false
			} else {
				b.WriteString("</")
				b.WriteString(t.Name.Local)
				b.WriteByte('>')
			}
			if depth == 0 {
				return nil
			}
			depth--
		case xml.CharData:
			closeOpen()
			escapeXML(b, string(t), false)
		case xml.Comment:
			closeOpen()
			b.WriteString("<!--")
			b.Write(t)
			b.WriteString("-->")
		}
	}
}

// escapeXML writes s as XML text, or as an attribute value (where tab,
// newline and carriage return are written as character references so
// that they survive).
func escapeXML(b *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			if !attr {
				continue
			}
			esc = "&quot;"
		case '\t':
			if !attr {
				continue
			}
			esc = "&#x9;"
		case '\n':
			if !attr {
				continue
			}
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// jsonValue is a value of the JSON a FHIR XML document is read into:
// jsonText, jsonRaw, *jsonObject or *jsonArray.
type jsonValue interface{ appendJSON([]byte) []byte }

// jsonText is a JSON string.
type jsonText string

func (s jsonText) appendJSON(out []byte) []byte { return jsontext.AppendString(out, string(s)) }

// jsonRaw is JSON as written: a number, true, false or null.
type jsonRaw string

func (s jsonRaw) appendJSON(out []byte) []byte { return append(out, s...) }

// jsonNull is a null in an array of primitives, where an element has
// only an extension or only a value.
const jsonNull = jsonRaw("null")

// jsonObject is a JSON object with its members in the order read.
type jsonObject struct {
	fields []jsonField
}

type jsonField struct {
	name  string
	value jsonValue
}

// jsonArray is a JSON array.
type jsonArray struct {
	items []jsonValue
}

func (a *jsonArray) appendJSON(out []byte) []byte {
	out = append(out, '[')
	for i, v := range a.items {
		if i > 0 {
			out = append(out, ',')
		}
		out = v.appendJSON(out)
	}
	return append(out, ']')
}

func (o *jsonObject) appendJSON(out []byte) []byte {
	out = append(out, '{')
	for i, f := range o.fields {
		if i > 0 {
			out = append(out, ',')
		}
		out = jsontext.AppendString(out, f.name)
		out = append(out, ':')
		out = f.value.appendJSON(out)
	}
	return append(out, '}')
}

func (o *jsonObject) get(name string) jsonValue {
	for _, f := range o.fields {
		if f.name == name {
			return f.value
		}
	}
	return nil
}

func (o *jsonObject) set(name string, v jsonValue) {
	for i := range o.fields {
		if o.fields[i].name == name {
			o.fields[i].value = v
			return
		}
	}
	o.fields = append(o.fields, jsonField{name, v})
}

// count is how many occurrences of a repeating element o holds.
func (o *jsonObject) count(name string) int {
	n := 0
	for _, key := range []string{name, "_" + name} {
		if a, ok := o.get(key).(*jsonArray); ok {
			n = max(n, len(a.items))
		}
	}
	return n
}

// array is o's array of name, made when it has none.
func (o *jsonObject) array(name string) *jsonArray {
	if a, ok := o.get(name).(*jsonArray); ok {
		return a
	}
	a := &jsonArray{}
	o.set(name, a)
	return a
}

// add adds one occurrence of an element: to its array when it repeats.
func (o *jsonObject) add(name string, v jsonValue, many bool) {
	if !many {
		o.set(name, v)
		return
	}
	a := o.array(name)
	a.items = append(a.items, v)
}

// addPrimitive adds one occurrence of a primitive element, its value
// (nil for none) and its id and extensions (nil for none): a repeating
// one's values and extensions are two arrays of one length, null where
// an occurrence has none.
func (o *jsonObject) addPrimitive(name string, value, ext jsonValue, many bool) {
	if !many {
		if value != nil {
			o.set(name, value)
		}
		if ext != nil {
			o.set("_"+name, ext)
		}
		return
	}
	i := o.count(name)
	pad := func(key string, v jsonValue) {
		a := o.array(key)
		for len(a.items) < i {
			a.items = append(a.items, jsonNull)
		}
		a.items = append(a.items, v)
	}
	if value != nil {
		pad(name, value)
	}
	if ext != nil {
		pad("_"+name, ext)
	}
	// The other array, when there is one, is padded to the same length.
	for _, key := range []string{name, "_" + name} {
		if a, ok := o.get(key).(*jsonArray); ok {
			for len(a.items) < i+1 {
				a.items = append(a.items, jsonNull)
			}
		}
	}
}

// jsonToXML writes a FHIR JSON resource as FHIR XML: the resource type
// as the root element in the FHIR namespace, elements in the order the
// R4 definitions give, primitives as value attributes (a decimal as
// written), a primitive's _name as its id attribute and extension
// elements, an element's id and an extension's url as attributes, the
// narrative's div as XHTML, and a resource inside a resource in an
// element named by its type.
func jsonToXML(data []byte) ([]byte, error) {
	v, ok := decodeJSON(data)
	if !ok {
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("the resource is not valid JSON: %w", err)
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("a resource must be a JSON object")
	}
	w := &xmlWriter{}
	w.b.Grow(len(data) * 3 / 2)
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if err := w.resource(obj, true); err != nil {
		return nil, err
	}
	return w.b.Bytes(), nil
}

// xmlWriter writes FHIR XML.
type xmlWriter struct {
	b     bytes.Buffer
	depth int
}

func (w *xmlWriter) resource(obj map[string]any, root bool) error {
	t, _ := obj["resourceType"].(string)
	if !isResource[t] {
		return fmt.Errorf("%q is not an R4 resource type", t)
	}
	w.b.WriteByte('<')
	w.b.WriteString(t)
	if root {
		w.b.WriteString(` xmlns="` + fhirNS + `"`)
	}
	w.b.WriteByte('>')
	if err := w.children(obj, t, true); err != nil {
		return err
	}
	w.b.WriteString("</")
	w.b.WriteString(t)
	w.b.WriteByte('>')
	return nil
}

// xmlChild is one element of an object to be written: its name, its
// place in the definitions, its value and its _name.
type xmlChild struct {
	name       string
	order      int
	value, ext any
}

// children writes the elements of obj, an instance of def, in the order
// of the definitions; a resource's id is an element, any other's id (and
// an extension's url) an attribute its caller wrote.
func (w *xmlWriter) children(obj map[string]any, def string, isResource bool) error {
	if w.depth++; w.depth > maxXMLDepth {
		return fmt.Errorf("%s nests more than %d deep", def, maxXMLDepth)
	}
	defer func() { w.depth-- }()
	var buf [32]xmlChild
	kids := buf[:0]
	for k, v := range obj {
		name, isExt := k, false
		if strings.HasPrefix(k, "_") {
			name, isExt = k[1:], true
		}
		switch {
		case isResource && k == "resourceType",
			!isResource && k == "id",
			def == "Extension" && k == "url":
			continue
		}
		order, ok := elementOrder[def+"."+name]
		if !ok {
			return fmt.Errorf("%s is not an element of %s in FHIR R4", k, def)
		}
		i := slices.IndexFunc(kids, func(c xmlChild) bool { return c.name == name })
		if i < 0 {
			kids = append(kids, xmlChild{name: name, order: order})
			i = len(kids) - 1
		}
		if isExt {
			kids[i].ext = v
		} else {
			kids[i].value = v
		}
	}
	slices.SortFunc(kids, func(a, b xmlChild) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return strings.Compare(a.name, b.name)
	})
	for _, c := range kids {
		if err := w.element(def, c); err != nil {
			return err
		}
	}
	return nil
}

// element writes every occurrence of one element.
func (w *xmlWriter) element(def string, c xmlChild) error {
	el, childDef, typ := elementOf(def, c.name)
	if el == nil {
		return fmt.Errorf("%s is not an element of %s in FHIR R4", c.name, def)
	}
	if isPrimitive[typ] && typ != "xhtml" {
		if el.Max == 1 {
			return w.primitive(c.name, c.value, c.ext)
		}
		values, _ := c.value.([]any)
		exts, _ := c.ext.([]any)
		for i := range max(len(values), len(exts)) {
			var v, e any
			if i < len(values) {
				v = values[i]
			}
			if i < len(exts) {
				e = exts[i]
			}
			if err := w.primitive(c.name, v, e); err != nil {
				return err
			}
		}
		return nil
	}
	items := []any{c.value}
	if el.Max != 1 {
		items, _ = c.value.([]any)
	}
	if isResource[typ] {
		typ = "Resource" // an element of one resource type (Bundle.entry.response.outcome)
	}
	for _, item := range items {
		switch typ {
		case "xhtml":
			s, _ := item.(string)
			if err := w.div(s); err != nil {
				return fmt.Errorf("%s.%s: %w", def, c.name, err)
			}
		case "Resource":
			r, ok := item.(map[string]any)
			if !ok {
				return fmt.Errorf("%s.%s is not a resource", def, c.name)
			}
			w.open(c.name)
			w.b.WriteByte('>')
			if err := w.resource(r, false); err != nil {
				return err
			}
			w.close(c.name)
		default:
			o, ok := item.(map[string]any)
			if !ok {
				return fmt.Errorf("%s.%s is not a JSON object", def, c.name)
			}
			w.open(c.name)
			if err := w.attr("id", o["id"]); err != nil {
				return err
			}
			if typ == "Extension" {
				if err := w.attr("url", o["url"]); err != nil {
					return err
				}
			}
			if !hasElements(o, typ) {
				w.b.WriteString("/>")
				continue
			}
			w.b.WriteByte('>')
			if err := w.children(o, childDef, false); err != nil {
				return err
			}
			w.close(c.name)
		}
	}
	return nil
}

// hasElements reports whether an object of a data type or backbone
// element has more than the id (and an extension's url) written as
// attributes.
func hasElements(o map[string]any, typ string) bool {
	n := len(o)
	if _, ok := o["id"]; ok {
		n--
	}
	if _, ok := o["url"]; ok && typ == "Extension" {
		n--
	}
	return n > 0
}

func (w *xmlWriter) open(name string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
}

func (w *xmlWriter) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// attr writes an attribute of a primitive value; nothing for nil.
func (w *xmlWriter) attr(name string, v any) error {
	var s string
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		s = v
	case json.Number:
		s = string(v)
	case bool:
		s = "false"
		if v {
			s = "true"
		}
	default:
		return fmt.Errorf("%s is not a primitive value", name)
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("%s holds the character U+%04X, which XML 1.0 cannot carry", name, r)
		}
	}
	w.b.WriteByte(' ')
	w.b.WriteString(name)
	w.b.WriteString(`="`)
	escapeXML(&w.b, s, true)
	w.b.WriteByte('"')
	return nil
}

// primitive writes one occurrence of a primitive element: its value,
// and the id and extensions of its _name.
func (w *xmlWriter) primitive(name string, value, ext any) error {
	if value == nil && ext == nil {
		return nil
	}
	w.open(name)
	e, _ := ext.(map[string]any)
	if err := w.attr("id", e["id"]); err != nil {
		return err
	}
	if err := w.attr("value", value); err != nil {
		return err
	}
	if !hasElements(e, "") {
		w.b.WriteString("/>")
		return nil
	}
	w.b.WriteByte('>')
	if err := w.children(e, "Element", false); err != nil {
		return err
	}
	w.close(name)
	return nil
}

// div writes a narrative's XHTML, given as JSON holds it (a div element
// as text), in the XHTML namespace; markup as HTML writes it (an
// unclosed <br>, &nbsp;) is read as HTML reads it.
func (w *xmlWriter) div(s string) error {
	for _, strict := range []bool{true, false} {
		d := xml.NewDecoder(strings.NewReader(s))
		if !strict {
			d.Strict = false
			d.AutoClose = xml.HTMLAutoClose
			d.Entity = xml.HTMLEntity
		}
		mark := w.b.Len()
		err := func() error {
			for {
				t, err := d.Token()
				if err != nil {
					return fmt.Errorf("the narrative holds no div: %w", err)
				}
				switch t := t.(type) {
				case xml.StartElement:
					if t.Name.Local != "div" {
						return fmt.Errorf("the narrative is <%s>, not a div", t.Name.Local)
					}
					return writeXHTML(&w.b, d, t)
				case xml.CharData:
					if len(bytes.TrimSpace(t)) > 0 {
						return errors.New("the narrative holds text outside its div")
					}
				}
			}
		}()
		if err == nil {
			return nil
		}
		w.b.Truncate(mark)
		if !strict {
			return err
		}
	}
	return nil
}

// xmlContentType is the Content-Type of every FHIR XML answer.
var xmlContentType = []string{XMLContentType + "; charset=utf-8"}

// convertedResponse answers in another form what a handler writes as
// FHIR JSON: the JSON is held until the handler returns, then written
// as convert makes it (FHIR XML, or JSON indented for _pretty) with
// the Content-Type contentType. Whatever else the handler writes (a
// bulk export's ndjson, a manifest) passes as it is.
type convertedResponse struct {
	http.ResponseWriter
	convert     func([]byte) ([]byte, error)
	contentType []string
	status      int
	started     bool
	held        bool
	body        bytes.Buffer
}

// xmlResponse answers in FHIR XML what a handler writes as FHIR JSON.
func xmlResponse(w http.ResponseWriter) *convertedResponse {
	return &convertedResponse{ResponseWriter: w, convert: jsonToXML, contentType: xmlContentType}
}

// prettyResponse answers the FHIR JSON a handler writes indented, as
// _pretty=true asks.
func prettyResponse(w http.ResponseWriter) *convertedResponse {
	return &convertedResponse{ResponseWriter: w, contentType: jsonContentType, convert: func(b []byte) ([]byte, error) {
		var out bytes.Buffer
		if err := json.Indent(&out, b, "", "  "); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	}}
}

func (x *convertedResponse) WriteHeader(status int) {
	if x.started {
		return
	}
	x.started = true
	h := x.Header()
	if mediaType(h.Get("Content-Type")) == ContentType {
		x.held, x.status = true, status
		h["Content-Type"] = x.contentType[:1:1]
		h.Del("Content-Length")
		return
	}
	x.ResponseWriter.WriteHeader(status)
}

func (x *convertedResponse) Write(b []byte) (int, error) {
	if !x.started {
		x.WriteHeader(http.StatusOK)
	}
	if x.held {
		return x.body.Write(b)
	}
	return x.ResponseWriter.Write(b)
}

// Unwrap is the response written to, for http.ResponseController.
func (x *convertedResponse) Unwrap() http.ResponseWriter { return x.ResponseWriter }

// finish writes the answer held, converted.
func (x *convertedResponse) finish() {
	if !x.held {
		return
	}
	if x.body.Len() == 0 {
		x.ResponseWriter.WriteHeader(x.status)
		return
	}
	out, err := x.convert(x.body.Bytes())
	if err != nil {
		x.status = http.StatusInternalServerError
		out = outcomeOf(x.status, "exception", "the answer could not be written as asked: %v", err).JSON()
		if conv, err := x.convert(out); err == nil {
			out = conv
		}
	}
	x.ResponseWriter.WriteHeader(x.status)
	x.ResponseWriter.Write(out)
}

// readXMLBody replaces a request's FHIR XML body with the FHIR JSON it
// stands for, so that every interaction that takes a resource (create,
// update, a transaction or batch, an operation, a FHIRPath Patch's
// Parameters) takes it in XML too.
func readXMLBody(r *http.Request) error {
	b, err := readAll(r)
	if err != nil {
		return err
	}
	js, err := xmlToJSON(b)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(js))
	r.ContentLength = int64(len(js))
	r.Header.Set("Content-Type", ContentType+"; charset=utf-8")
	return nil
}
