package fhir_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/opencrs/crs/fhir"
)

// syntheaBundle is the largest of the first Synthea patients' Bundles in
// the shared data.
func syntheaBundle(b *testing.B) []byte {
	files, _ := filepath.Glob(filepath.Join(sharedData(b, "fhir/synthea"), "*.json.gz"))
	if len(files) == 0 {
		b.Skip("no Synthea Bundles in the shared data")
	}
	var largest []byte
	for _, f := range files[:min(len(files), 10)] {
		if body := gunzip(b, f); len(body) > len(largest) {
			largest = body
		}
	}
	return largest
}

// BenchmarkBundleJSON writes a Synthea patient's Bundle as FHIR JSON
// from its JSON, as the API answers in JSON (read, then encoded).
func BenchmarkBundleJSON(b *testing.B) {
	body := syntheaBundle(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		v, ok := fhir.DecodeJSON(body)
		if !ok {
			b.Fatal("not JSON")
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBundleXML writes the same Bundle as FHIR XML from its JSON,
// as the API answers in XML.
func BenchmarkBundleXML(b *testing.B) {
	body := syntheaBundle(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fhir.JSONToXML(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBundleReadXML reads the same Bundle sent in FHIR XML into the
// JSON the API takes.
func BenchmarkBundleReadXML(b *testing.B) {
	x, err := fhir.JSONToXML(syntheaBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(x)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fhir.XMLToJSON(x); err != nil {
			b.Fatal(err)
		}
	}
}
