package fhir

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/opencrs/crs/internal/jsontext"
)

// appendJSON appends v written as encoding/json writes it without HTML
// escaping: objects with their keys sorted, strings escaped alike,
// json.Number as it is. A resource is written on every write and most
// reads of what is built for the answer; this writer does the values a
// resource is made of (what decodeJSON reads, and the maps, slices,
// strings and numbers the mappings build) without reflection, and
// leaves any other value to encoding/json.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsontext.AppendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case json.Number:
		if v == "" {
			return append(b, '0'), nil // as encoding/json writes an empty Number
		}
		if !isNumber(v) {
			return nil, &json.UnsupportedValueError{Str: "invalid number literal " + strconv.Quote(string(v))}
		}
		return append(b, v...), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case map[string]any:
		return appendJSONObject(b, v)
	case Resource:
		return appendJSONObject(b, v)
	case []any:
		return appendJSONArray(b, v, appendJSON)
	case []map[string]any:
		return appendJSONArray(b, v, appendJSONObject)
	case []string:
		return appendJSONArray(b, v, func(b []byte, s string) ([]byte, error) { return jsontext.AppendString(b, s), nil })
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}

// appendJSONArray appends an array of xs, each written by each.
func appendJSONArray[T any](b []byte, xs []T, each func([]byte, T) ([]byte, error)) ([]byte, error) {
	if xs == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = each(b, x); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendJSONObject appends an object with its keys in order.
func appendJSONObject(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var small [32]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsontext.AppendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// isNumber reports whether s is one JSON number, as encoding/json
// checks a json.Number before writing it.
func isNumber(s json.Number) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i == len(s):
		return false
	case s[i] == '0':
		i++
	case s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
