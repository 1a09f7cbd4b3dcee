package fhir

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

func TestParseDateRange(t *testing.T) {
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, tc := range []struct {
		in     string
		lo, hi string // "" when it is no date
	}{
		{"2024", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"},
		{"2024-07", "2024-06-30T23:00:00Z", "2024-07-31T23:00:00Z"}, // British Summer Time
		{"2024-02-29", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"2024-07-01T10:00", "2024-07-01T09:00:00Z", "2024-07-01T09:01:00Z"},
		{"2024-07-01T10:00Z", "2024-07-01T10:00:00Z", "2024-07-01T10:01:00Z"},
		{"2024-07-01T10:00:30", "2024-07-01T09:00:30Z", "2024-07-01T09:00:31Z"},
		{"2024-07-01T10:00:30-05:00", "2024-07-01T15:00:30Z", "2024-07-01T15:00:31Z"},
		{"2024-07-01T10:00:30.123+01:00", "2024-07-01T09:00:30.123Z", "2024-07-01T09:00:30.124Z"},
		{"2023-02-29", "", ""},
		{"2024-07-01T10:00:60Z", "", ""},
		{"2024-7-1", "", ""},
		{"yesterday", "", ""},
	} {
		lo, hi, ok := ParseDateRange(tc.in)
		if !ok {
			if tc.lo != "" {
				t.Errorf("ParseDateRange(%q) is no date, want [%s, %s)", tc.in, tc.lo, tc.hi)
			}
			continue
		}
		if tc.lo == "" || !lo.Equal(utc(tc.lo)) || !hi.Equal(utc(tc.hi)) {
			t.Errorf("ParseDateRange(%q) = [%s, %s), want [%s, %s)", tc.in, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestParseDateRangeByShape checks that reading a date by the layout its
// shape names finds what trying every layout in turn finds, on strings
// made of the pieces where the two could part.
func TestParseDateRangeByShape(t *testing.T) {
	pieces := []string{"2024", "0000", "999", "-", "01", "02", "12", "13", "29", "30", "31", "T", "10", "23", "24", "59", "60", ":", ".", "5", "123", "Z", "+", "01:00", "14:00", " ", "x"}
	r := rand.New(rand.NewSource(1))
	for range 100000 {
		var b strings.Builder
		for range 1 + r.Intn(12) {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		s := b.String()
		lo, hi, ok := ParseDateRange(s)
		wantLo, wantHi, wantOK := parseDateInTurn(s)
		if ok != wantOK || !lo.Equal(wantLo) || !hi.Equal(wantHi) {
			t.Fatalf("ParseDateRange(%q) = %s, %s, %v; each layout in turn %s, %s, %v", s, lo, hi, ok, wantLo, wantHi, wantOK)
		}
	}
}

// parseDateInTurn is ParseDateRange trying each layout in turn.
func parseDateInTurn(s string) (lo, hi time.Time, ok bool) {
	s, frac := cutFraction(s)
	for _, l := range dateLayouts {
		if lo, hi, ok := parseDateLayout(s, frac, l); ok {
			return lo, hi, true
		}
	}
	return lo, hi, false
}

func TestSplitReference(t *testing.T) {
	for _, tc := range []struct {
		ref, typ, id string
	}{
		{"Patient/1", "Patient", "1"},
		{"http://x/fhir/Patient/1", "Patient", "1"},
		{"http://x/fhir/Patient/1/_history/2", "Patient", "1"},
		{"Patient/1/_history/2", "Patient", "1"},
		{"x/Patient/_history/3", "", ""}, // a version of x/Patient, and x is no type
		{"Patient/", "", ""},
		{"/Patient/1", "Patient", "1"},
		{"Patient", "", ""},
		{"Foo/1", "", ""},
		{"urn:uuid:2f3a8e2c-0c4b-4d9e-9a57-6f1d1e0b8a11", "", ""},
	} {
		typ, id, ok := splitReference(tc.ref)
		if typ != tc.typ || id != tc.id || ok != (tc.typ != "") {
			t.Errorf("splitReference(%q) = %q, %q, %v; want %q, %q", tc.ref, typ, id, ok, tc.typ, tc.id)
		}
	}
}
