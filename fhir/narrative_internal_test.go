package fhir

import "testing"

// TestCapitalised: the first letter of a word shown in a narrative is
// made a capital whole, a letter of more than one byte too.
func TestCapitalised(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"female", "Female"},
		{"émile", "Émile"},
		{"", ""},
		{"1st", "1st"},
	} {
		if got := capitalised(tc.in); got != tc.want {
			t.Errorf("capitalised(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
