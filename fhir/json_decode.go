package fhir

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// decodeJSON reads one JSON value as encoding/json does into an any with
// UseNumber: objects as map[string]any, arrays as []any, numbers as
// json.Number. A transaction Bundle of a few hundred resources spends a
// tenth of its ingest decoding the body; this reader does it in one pass
// without reflection, and leaves to encoding/json every string with an
// escape or a byte that is not plain UTF-8. It reports false, having
// decoded nothing, for anything that is not well-formed JSON or holds
// more than one value: Decode then lets encoding/json say what is wrong.
func decodeJSON(data []byte) (any, bool) {
	d := jsonReader{data: data}
	v, ok := d.value(0)
	if !ok {
		return nil, false
	}
	d.space()
	return v, d.i == len(d.data)
}

// jsonReader reads JSON from data at i.
type jsonReader struct {
	data []byte
	i    int
	seen map[string]any // the short strings read, each once
}

const eightSpaces = 0x2020202020202020

// maxJSONDepth is how deeply arrays and objects may nest (encoding/json
// refuses past 10,000).
const maxJSONDepth = 10000

func (d *jsonReader) space() {
	for d.i < len(d.data) {
		// A pretty-printed body is mostly indentation: eight spaces are
		// passed over at once.
		if d.i+8 <= len(d.data) && binary.LittleEndian.Uint64(d.data[d.i:]) == eightSpaces {
			d.i += 8
			continue
		}
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonReader) value(depth int) (any, bool) {
	d.space()
	if d.i >= len(d.data) || depth > maxJSONDepth {
		return nil, false
	}
	switch c := d.data[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.string()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	default:
		return d.literal()
	}
}

func (d *jsonReader) object(depth int) (any, bool) {
	d.i++ // {
	m := map[string]any{}
	d.space()
	if d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		return m, true
	}
	for {
		d.space()
		if d.i >= len(d.data) || d.data[d.i] != '"' {
			return nil, false
		}
		k, ok := d.key()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.data) || d.data[d.i] != ':' {
			return nil, false
		}
		d.i++
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		m[k] = v
		if end, ok := d.next('}'); !ok || end {
			return m, ok
		}
	}
}

// next reads what follows a member of an object or an element of an
// array: a comma (more follow) or close (the end).
func (d *jsonReader) next(close byte) (end, ok bool) {
	d.space()
	if d.i >= len(d.data) {
		return false, false
	}
	switch d.data[d.i] {
	case ',':
		d.i++
		return false, true
	case close:
		d.i++
		return true, true
	}
	return false, false
}

func (d *jsonReader) array(depth int) (any, bool) {
	d.i++ // [
	a := []any{}
	d.space()
	if d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		v, ok := d.value(depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		if end, ok := d.next(']'); !ok || end {
			return a, ok
		}
	}
}

// string reads a string value.
func (d *jsonReader) string() (any, bool) {
	raw, plain, ok := d.quoted()
	if !ok {
		return nil, false
	}
	if !plain {
		return unquote(raw)
	}
	text := raw[1 : len(raw)-1]
	if len(text) > maxSharedString {
		return string(text), true
	}
	if v, ok := d.seen[string(text)]; ok {
		return v, true
	}
	if d.seen == nil {
		d.seen = map[string]any{}
	}
	v := any(string(text))
	d.seen[v.(string)] = v
	return v, true
}

// maxSharedString is the longest string value read once for all its
// occurrences in a body: a code, a system, a reference to the patient
// (the same in each of a Bundle's hundreds of resources); a longer one
// (a narrative, an attachment) is seldom repeated.
const maxSharedString = 64

// key reads the name of an object's member. The names of R4's elements
// are the same few thousand in every resource: one of them is the
// string elementNames holds, not a new one.
func (d *jsonReader) key() (string, bool) {
	raw, plain, ok := d.quoted()
	if !ok {
		return "", false
	}
	if plain {
		name := raw[1 : len(raw)-1]
		if s, ok := elementNames[string(name)]; ok {
			return s, true
		}
		return string(name), true
	}
	s, ok := unquote(raw)
	if !ok {
		return "", false
	}
	return s.(string), true
}

// unquote decodes a string with an escape or a byte past ASCII by
// encoding/json, so that its rules (invalid UTF-8 replaced, the escapes)
// hold as they are.
func unquote(raw []byte) (any, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, false
	}
	return s, true
}

// elementNames holds the name of every element of R4 (birthDate), of
// its primitive extension (_birthDate), and resourceType.
var elementNames = map[string]string{"resourceType": "resourceType"}

func init() {
	for i := range elementTable {
		p := elementTable[i].Path
		name := p[strings.LastIndexByte(p, '.')+1:]
		elementNames[name] = name
		elementNames["_"+name] = "_" + name
	}
}

// quoted reads a string as it is written, quotes included; plain says
// it has no escape nor any byte past ASCII.
func (d *jsonReader) quoted() (raw []byte, plain, ok bool) {
	start := d.i
	d.i++ // "
	plain = true
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return d.data[start:d.i], plain, true
		case c == '\\':
			plain = false
			d.i += 2
		case c < 0x20:
			return nil, false, false
		case c >= utf8.RuneSelf:
			plain = false
			d.i++
		default:
			d.i++
		}
	}
	return nil, false, false
}

// number reads a number as JSON writes it, kept as its text.
func (d *jsonReader) number() (any, bool) {
	start := d.i
	digits := func() int {
		n := 0
		for d.i < len(d.data) && d.data[d.i] >= '0' && d.data[d.i] <= '9' {
			d.i++
			n++
		}
		return n
	}
	if d.data[d.i] == '-' {
		d.i++
	}
	if d.i < len(d.data) && d.data[d.i] == '0' {
		d.i++
	} else if digits() == 0 {
		return nil, false
	}
	if d.i < len(d.data) && d.data[d.i] == '.' {
		d.i++
		if digits() == 0 {
			return nil, false
		}
	}
	if d.i < len(d.data) && (d.data[d.i] == 'e' || d.data[d.i] == 'E') {
		d.i++
		if d.i < len(d.data) && (d.data[d.i] == '+' || d.data[d.i] == '-') {
			d.i++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return json.Number(d.data[start:d.i]), true
}

func (d *jsonReader) literal() (any, bool) {
	for _, l := range []struct {
		text string
		v    any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if len(d.data)-d.i >= len(l.text) && string(d.data[d.i:d.i+len(l.text)]) == l.text {
			d.i += len(l.text)
			return l.v, true
		}
	}
	return nil, false
}
