package fhir

import "testing"

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
