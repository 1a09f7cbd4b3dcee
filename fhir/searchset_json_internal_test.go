package fhir

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// TestServedJSONIsTheBundle encodes Bundles both ways and finds the same
// JSON document, with each searchset resource's stored bytes in it as
// they are, and a Bundle with requests or responses encoded as before.
func TestServedJSONIsTheBundle(t *testing.T) {
	obs := json.RawMessage(`{"resourceType":"Observation","id":"o1","status":"final","note":[{"text":"<b>high</b> & \"rising\""}]}`)
	spaced := json.RawMessage("{ \"resourceType\": \"Patient\",\n \"id\": \"p1\" }")
	tests := []struct {
		name   string
		b      *bundle
		stored []json.RawMessage
	}{
		{"empty searchset", &bundle{ResourceType: "Bundle", Type: "searchset", Total: intPtr(0)}, nil},
		{"page with links", &bundle{ResourceType: "Bundle", Type: "searchset",
			Link: []bundleLink{{"self", "http://h/fhir/Observation?code=http://loinc.org|8867-4&_count=2"}, {"next", "http://h/fhir/Observation?_cursor=Observation/o1&x=<a>"}},
			Entry: []bundleEntry{
				{FullURL: "http://h/fhir/Observation/o1", Resource: obs, Search: &entrySearch{Mode: "match"}},
				{FullURL: "http://h/fhir/Patient/p1", Resource: spaced, Search: &entrySearch{Mode: "include"}},
				{Resource: obs},
				{FullURL: "http://h/fhir/Observation/gone"},
			}}, []json.RawMessage{obs, spaced}},
		{"count only", &bundle{ResourceType: "Bundle", Type: "searchset", Total: intPtr(12345), Link: []bundleLink{{"self", "u"}}}, nil},
		{"history falls back", &bundle{ResourceType: "Bundle", Type: "history", Entry: []bundleEntry{
			{FullURL: "http://h/fhir/Observation/o1", Resource: obs, Request: &entryRequest{Method: "PUT", URL: "Observation/o1"}, Response: &entryResponse{Status: "200"}}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.b.servedJSON()
			var a, b any
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatalf("served JSON is not JSON: %v\n%s", err, got)
			}
			if err := json.Unmarshal(tc.b.json(), &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("served JSON\n%s\nis not the Bundle\n%s", got, tc.b.json())
			}
			for _, s := range tc.stored {
				if !bytes.Contains(got, s) {
					t.Errorf("the stored body %s is not in the Bundle as stored:\n%s", s, got)
				}
			}
		})
	}
}
