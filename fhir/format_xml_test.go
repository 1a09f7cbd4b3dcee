package fhir_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs/fhir"
)

// decodeAny reads JSON with numbers as they are written.
func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
	return v
}

// sameDivs rewrites every narrative div of v as its elements, attributes
// and text, whitespace between elements left out: the fhir package drops
// the whitespace between a div's tags, which the reader keeps. It also
// leaves out an empty _name, what the fhir package leaves of a
// primitive's XML comments once they are taken out, and compares
// numbers by value: xml2json.js reads the package's JSON with
// JSON.parse, which writes the decimal 4.0 as 4 (the reader keeps 4.0,
// and the round trip below checks it exactly).
func sameDivs(t testing.TB, v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if strings.HasPrefix(k, "_") && onlyEmpty(x) {
				continue // where the fhir package held only the comments it was left
			}
			if s, ok := x.(string); ok && k == "div" {
				out[k] = divTokens(t, s)
				continue
			}
			out[k] = sameDivs(t, x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = sameDivs(t, x)
		}
		return out
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			t.Fatalf("number %s: %v", v, err)
		}
		return f
	}
	return v
}

// onlyEmpty reports whether v is an empty object or an array of empty
// objects and nulls.
func onlyEmpty(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case []any:
		for _, x := range v {
			if x != nil && !onlyEmpty(x) {
				return false
			}
		}
		return true
	}
	return false
}

func divTokens(t testing.TB, s string) []string {
	var out []string
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := "<" + tok.Name.Local
			for _, a := range tok.Attr {
				e += " " + a.Name.Space + ":" + a.Name.Local + "=" + a.Value
			}
			out = append(out, e)
		case xml.EndElement:
			out = append(out, "</"+tok.Name.Local)
		case xml.CharData:
			if strings.TrimSpace(string(tok)) != "" {
				out = append(out, string(tok))
			}
		}
	}
}

// TestXMLUKCoreExamples reads every UK Core XML example with the FHIR
// XML reader and checks that it gives the JSON the npm fhir package's
// conversion gives (blackbox/xml2json.js), and that it is written back
// to XML and read again unchanged.
func TestXMLUKCoreExamples(t *testing.T) {
	files, lines := ukcoreExamples(t)
	for i, file := range files {
		name := filepath.Base(file)
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fhir.XMLToJSON(src)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := decodeAny(t, []byte(lines[i]))
		if m, _ := want.(map[string]any); m["error"] != nil {
			t.Errorf("%s: the fhir package did not convert it: %v", name, m["error"])
			continue
		}
		first := decodeAny(t, got)
		if diff := cmp.Diff(sameDivs(t, want), sameDivs(t, first)); diff != "" {
			t.Errorf("%s: read as JSON (-fhir package +ours):\n%s", name, diff)
			continue
		}
		x, err := fhir.JSONToXML(got)
		if err != nil {
			t.Errorf("%s: written as XML: %v", name, err)
			continue
		}
		again, err := fhir.XMLToJSON(x)
		if err != nil {
			t.Errorf("%s: written as XML and read again: %v\n%s", name, err, x)
			continue
		}
		if diff := cmp.Diff(first, decodeAny(t, again)); diff != "" {
			t.Errorf("%s: written as XML and read again (-first +again):\n%s", name, diff)
			continue
		}
		if x2, err := fhir.JSONToXML(again); err != nil || !bytes.Equal(x, x2) {
			t.Errorf("%s: written as XML twice differs: %v\n%s\n%s", name, err, x, x2)
		}
	}
}
