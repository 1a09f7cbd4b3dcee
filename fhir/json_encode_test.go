package fhir_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/opencrs/crs/fhir"
)

// stdEncode is what encoding/json writes of v without HTML escaping, as
// a resource was written before appendJSON.
func stdEncode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// checkAppendJSON fails unless appendJSON writes v byte for byte as
// encoding/json does, or refuses what encoding/json refuses.
func checkAppendJSON(t *testing.T, v any) {
	t.Helper()
	want, wantErr := stdEncode(v)
	got, err := fhir.AppendJSON(nil, v)
	switch {
	case (err != nil) != (wantErr != nil):
		t.Errorf("appendJSON(%#v): error %v, encoding/json's %v", v, err, wantErr)
	case err == nil && !bytes.Equal(got, want):
		t.Errorf("appendJSON(%#v)\n= %s\nencoding/json\n  %s", v, got, want)
	}
}

func TestAppendJSON(t *testing.T) {
	type named struct {
		A string `json:"a"`
	}
	for _, v := range []any{
		nil, true, false, "", "plain", `q"b\s/`, "<a href='x'>&amp;</a>", "\x00\x01\b\f\n\r\t\x1f\x7f",
		"café ☃ 😀", "\xff\xfe bad", "a\u2028b\u2029c", "ends in \xe2\x82",
		json.Number("4.50"), json.Number("-0.0e-1"), json.Number(""), json.Number("01"), json.Number("1."), json.Number("NaN"),
		0, -12, int64(1) << 60, 2.5, 1e21, 0.000001,
		map[string]any{}, map[string]any(nil), []any{}, []any(nil), []string{"a", "<b>"}, []string(nil),
		map[string]any{"z": 1, "a": []any{json.Number("2"), "x", nil, map[string]any{"b": true, "B": false, "é": "e", "": 0}}},
		fhir.Resource{"resourceType": "Patient", "id": "p1", "meta": map[string]any{"versionId": "1"}},
		[]map[string]any{{"k": "v"}, nil},
		map[string]any{"nested": fhir.Resource{"x": []any{fhir.Resource{"y": 1}}}, "st": named{"x"}, "raw": json.RawMessage(` { "a" : 1 } `)},
	} {
		checkAppendJSON(t, v)
	}
}

// TestAppendJSONSynthea writes Synthea's Bundles, as decoded, as
// encoding/json writes them.
func TestAppendJSONSynthea(t *testing.T) {
	files, _ := filepath.Glob("../../shared/data/fhir/synthea/*.json.gz")
	if len(files) == 0 {
		t.Skip("../shared/data/fhir/synthea is absent")
	}
	for _, file := range files[:min(len(files), 10)] {
		v, ok := fhir.DecodeJSON(gunzip(t, file))
		if !ok {
			t.Fatalf("%s: not read", file)
		}
		checkAppendJSON(t, v)
	}
}

func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9",true,null,{}]}`, `{"resourceType":"Bundle","entry":[]}`, `"\u2028<&>"`, `{"b":"\u0001","a":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if v, ok := fhir.DecodeJSON(data); ok {
			checkAppendJSON(t, v)
		}
		checkAppendJSON(t, string(data))
	})
}

// BenchmarkEncodeResource writes a Synthea Bundle's resources one by
// one, as each is written when stored: encoding/json against appendJSON.
func BenchmarkEncodeResource(b *testing.B) {
	files, _ := filepath.Glob("../../shared/data/fhir/synthea/*.json.gz")
	if len(files) == 0 {
		b.Skip("../shared/data/fhir/synthea is absent")
	}
	v, _ := fhir.DecodeJSON(gunzip(b, files[0]))
	var rs []any
	for _, e := range v.(map[string]any)["entry"].([]any) {
		rs = append(rs, e.(map[string]any)["resource"])
	}
	for _, bc := range []struct {
		name string
		enc  func(any) ([]byte, error)
	}{
		{"encoding-json", stdEncode},
		{"appendJSON", func(v any) ([]byte, error) { return fhir.AppendJSON(nil, v) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, r := range rs {
					if _, err := bc.enc(r); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rs)), "ns/resource")
		})
	}
}
