package fhir_test

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/opencrs/crs/fhir"
)

// stdDecode is what encoding/json makes of data, as Decode read it
// before decodeJSON: one value, numbers as json.Number.
func stdDecode(data []byte) (any, bool) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil {
		return nil, false
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, false
	}
	return v, true
}

// checkDecodeJSON fails unless decodeJSON reads data as encoding/json
// does, or declines it (the fallback then reads it).
func checkDecodeJSON(t *testing.T, data []byte, mustRead bool) {
	t.Helper()
	want, wantOK := stdDecode(data)
	got, ok := fhir.DecodeJSON(data)
	switch {
	case ok && !wantOK:
		t.Errorf("decodeJSON(%q) read %#v; encoding/json refuses it", data, got)
	case ok && !reflect.DeepEqual(got, want):
		t.Errorf("decodeJSON(%q) = %#v, encoding/json %#v", data, got, want)
	case !ok && wantOK && mustRead:
		t.Errorf("decodeJSON(%q) declined well-formed JSON", data)
	}
}

func TestDecodeJSON(t *testing.T) {
	for _, tc := range []struct {
		in   string
		read bool // well-formed: decodeJSON must read it
	}{
		{`{}`, true},
		{` {"a" : [1, -2.50, 3e+2, 0, -0.0e-1, true, false, null, "x", {}, []]} `, true},
		{`{"a":1,"a":2}`, true},
		{`{"s":"caf\u00e9 \"q\" \\ \/ \n","k\u0041":"é"}`, true},
		{`{"bad":"\xff\xfe"}`, true},
		{`[1,2]`, true},
		{`"\ud83d\ude00"`, true},
		{`{"a":01}`, false},
		{`{"a":1.}`, false},
		{`{"a":-}`, false},
		{`{"a":1e}`, false},
		{`{"a":tru}`, false},
		{`{"a":1,}`, false},
		{`{"a" 1}`, false},
		{`{"a":"x` + "\x01" + `"}`, false},
		{`{"a":"\q"}`, false},
		{`{"a":"x\`, false},
		{`{} {}`, false},
		{`{}x`, false},
		{"\ufeff{}", false},
		{``, false},
		{`[`, false},
	} {
		checkDecodeJSON(t, []byte(tc.in), tc.read)
	}
}

// TestDecodeJSONSynthea reads Synthea's Bundles as encoding/json does.
func TestDecodeJSONSynthea(t *testing.T) {
	files, _ := filepath.Glob("../../shared/data/fhir/synthea/*.json.gz")
	if len(files) == 0 {
		t.Skip("../shared/data/fhir/synthea is absent")
	}
	for _, file := range files[:min(len(files), 10)] {
		checkDecodeJSON(t, gunzip(t, file), true)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9",true,null,{}]}`, `{"resourceType":"Bundle","entry":[]}`, `[1,`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecodeJSON(t, data, false)
	})
}
