package fhir

import (
	"testing"

	"github.com/opencrs/crs"
)

// TestKnownParam checks that a lenient search leaves out what add
// refuses as unknown, whatever the value, and keeps every parameter add
// reads, a bad value of it included.
func TestKnownParam(t *testing.T) {
	for _, tc := range []struct {
		typ, key string
		want     bool
	}{
		{"Condition", "_count", true},
		{"Condition", "_cursor", true},
		{"Condition", "_offset", true},
		{"Condition", "_summary", true},
		{"Condition", "_total", true},
		{"Condition", "_sort", true},
		{"Condition", "_elements", true},
		{"Condition", "_id", true},
		{"Condition", "_format", true},
		{"Condition", "_pretty", true},
		{"Condition", "_include", true},
		{"Condition", "_revinclude:iterate", true},
		{"Condition", "_lastUpdated", true},
		{"Condition", "_has:Observation:subject:code", true},
		{"Condition", "code", true},
		{"Condition", "code:frobnicate", true},
		{"Condition", "code.name", true},
		{"Condition", "subject:Patient.name", true},
		{"Observation", "code-value-quantity", true},
		{"Condition", "foo", false},
		{"Condition", "foo.bar", false},
		{"Condition", "_text", true},
		{"Condition", "_content", true},
		{"Condition", "_list", true},
		{"Condition", "_filter", false},
		{"Condition", "_query", false},
		{"Condition", "_count:x", false},
		{"Condition", "_include:recurse", false},
	} {
		if got := knownParam(tc.typ, tc.key); got != tc.want {
			t.Errorf("knownParam(%s, %s) = %v, want %v", tc.typ, tc.key, got, tc.want)
		}
	}
}

// TestRowMatchesCanonicalVersion checks that a definition served from
// memory matches a uri below a canonical's version as the store does:
// url|1 is the start of url|1.1.0, not of url|10.0.0.
func TestRowMatchesCanonicalVersion(t *testing.T) {
	const u = "https://trust.example.nhs.uk/fhir/StructureDefinition/bay"
	below := crs.ResourceCondition{Param: "url:version", Kind: "uri", Op: crs.MatchBelow, Code: u + "|1"}
	for code, want := range map[string]bool{u + "|1": true, u + "|1.1.0": true, u + "|10.0.0": false, u + "|2.0.0": false} {
		if got := rowMatches(crs.ResourceIndexRow{Param: "url:version", Code: code}, below); got != want {
			t.Errorf("%s below %s: %v, want %v", code, below.Code, got, want)
		}
	}
}
