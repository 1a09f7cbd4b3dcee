package fhir

import (
	"math/rand"
	"strings"
	"testing"
	"unicode"
)

// timeTypes are the types validFormat reads by hand.
var timeTypes = []string{"date", "dateTime", "instant", "time"}

func TestValidFormat(t *testing.T) {
	for _, tc := range []struct {
		typ, s string
		want   bool
	}{
		{"date", "2024", true},
		{"date", "2024-02", true},
		{"date", "2024-02-29", true},
		{"date", "0000", false},
		{"date", "0001-01-01", true},
		{"date", "2024-13", false},
		{"date", "2024-00", false},
		{"date", "2024-01-32", false},
		{"date", "2024-1-01", false},
		{"date", "2024-01-01T10:00:00Z", false},
		{"dateTime", "2024-01-01T10:00:00Z", true},
		{"dateTime", "2024-01-01T10:00:00.123+01:00", true},
		{"dateTime", "2024-01-01T10:00:00", true}, // UK time
		{"dateTime", "2024-01-01T23:59:60-14:00", true},
		{"dateTime", "2024-01-01T10:00Z", false},
		{"dateTime", "2024-01-01T24:00:00Z", false},
		{"dateTime", "2024-01-01T10:00:00.Z", false},
		{"dateTime", "2024-01-01T10:00:00+14:01", false},
		{"dateTime", "2024-01-01T10:00:00+13:59", true},
		{"dateTime", "2024-01-01T10:00:00+1:00", false},
		{"dateTime", "2024-01T10:00:00Z", false},
		{"dateTime", "2024-01-01T", false},
		{"instant", "2024-01-01T10:00:00.000Z", true},
		{"instant", "2024-01-01", false},
		{"time", "10:00:00", true},
		{"time", "10:00:00.5", true},
		{"time", "10:00", false},
		{"time", "10:60:00", false},
		{"id", "a-b.1", true},
		{"id", "a b", false},
		{"uuid", "urn:uuid:2f3a8e2c-0c4b-4d9e-9a57-6f1d1e0b8a11", true},
		{"string", "anything at all", true},
	} {
		if got := validFormat(tc.typ, tc.s); got != tc.want {
			t.Errorf("validFormat(%q, %q) = %v, want %v", tc.typ, tc.s, got, tc.want)
		}
	}
}

// TestValidFormatAsR4 checks that the dates and times read by hand are
// those R4's regular expressions take, on strings made of the pieces
// where the two could part.
func TestValidFormatAsR4(t *testing.T) {
	pieces := []string{"2024", "0000", "0001", "1000", "999", "20245", "-", "01", "09", "10", "12", "13", "00", "29", "30", "31", "32",
		"T", "23", "24", "59", "60", "61", ":", ".", "5", "123", "Z", "+", "14:00", "14:01", "13:59", "1", "a", " ", "\n", "é"}
	r := rand.New(rand.NewSource(1))
	for range 300000 {
		var b strings.Builder
		for range 1 + r.Intn(12) {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		checkFormatAsR4(t, b.String())
	}
}

func checkFormatAsR4(t *testing.T, s string) {
	t.Helper()
	for _, typ := range timeTypes {
		if got, want := validFormat(typ, s), primitiveFormat[typ].MatchString(s); got != want {
			t.Fatalf("validFormat(%q, %q) = %v, R4's expression %v", typ, s, got, want)
		}
	}
	if got, want := hasSpace(s), strings.IndexFunc(s, unicode.IsSpace) >= 0; got != want {
		t.Fatalf("hasSpace(%q) = %v, want %v", s, got, want)
	}
}

// TestValidFormatTypes checks that validFormat matches by its expression
// each type R4 gives one, and finds no format in the others.
func TestValidFormatTypes(t *testing.T) {
	for _, typ := range primitiveTypes {
		for _, s := range []string{"2024-01-01", "10:00:00", "a-b.1", "urn:oid:1.2", "urn:uuid:2f3a8e2c-0c4b-4d9e-9a57-6f1d1e0b8a11", "aGVsbG8=", "a b", "é"} {
			want := true
			if re := primitiveFormat[typ]; re != nil {
				want = re.MatchString(s)
			}
			if got := validFormat(typ, s); got != want {
				t.Errorf("validFormat(%q, %q) = %v, want %v", typ, s, got, want)
			}
		}
	}
}

func FuzzValidFormat(f *testing.F) {
	for _, s := range []string{"2024-01-01T10:00:00.123+01:00", "2024-02", "10:00:00", "a\u00a0b", "a\u2028", "x\vy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkFormatAsR4(t, s) })
}
