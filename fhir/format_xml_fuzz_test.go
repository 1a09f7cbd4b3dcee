package fhir_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs/fhir"
)

// FuzzXMLToJSON: the FHIR XML reader never panics; what it reads is
// JSON, and what it reads and the writer writes back reads the same.
func FuzzXMLToJSON(f *testing.F) {
	for _, s := range []string{
		patientXML,
		`<Observation xmlns="http://hl7.org/fhir"><status value="final"/><valueQuantity><value value="4.50"/></valueQuantity></Observation>`,
		`<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/><entry><resource><Patient><id value="a"/></Patient></resource></entry></Bundle>`,
		`<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>a<br/></p></div></text></Patient>`,
		`<Patient xmlns="http://hl7.org/fhir"><name><given value="a"/><given id="x"/></name></Patient>`,
		`<Patient xmlns="http://hl7.org/fhir"><contained><Patient/></contained></Patient>`,
		`<Patient xmlns="http://hl7.org/fhir"><id value="x">`,
		`<?xml version="1.0"?><!DOCTYPE x><x/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		js, err := fhir.XMLToJSON(data)
		if err != nil {
			return
		}
		var first any
		if err := json.Unmarshal(js, &first); err != nil {
			t.Fatalf("the reader wrote JSON that does not parse: %v\n%s", err, js)
		}
		x, err := fhir.JSONToXML(js)
		if err != nil {
			return
		}
		again, err := fhir.XMLToJSON(x)
		if err != nil {
			t.Fatalf("what was read and written back does not read: %v\n%s\n%s", err, js, x)
		}
		var second any
		if err := json.Unmarshal(again, &second); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, second); diff != "" {
			t.Fatalf("read, written and read again differs (-first +again):\n%s", diff)
		}
	})
}
