package report

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestSafeCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Smith", "Smith"},
		{"=HYPERLINK(\"http://evil.example\",\"Click\")", "'=HYPERLINK(\"http://evil.example\",\"Click\")"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"},
		{"@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"-", "'-"},
		{"-5", "-5"},
		{"-0.25", "-0.25"},
		{"-1.", "'-1."},
		{"-.5", "'-.5"},
		{"-5.2.1", "'-5.2.1"},
		{"+", "'+"},
		{"+3", "+3"},
		{"12", "12"},
		{"O'Brien", "O'Brien"},
		{"a=b", "a=b"},
	} {
		if got := SafeCell(tc.in); got != tc.want {
			t.Errorf("SafeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestCSVWriterNeutralisesFormulas writes a record through the writer
// every extract uses and reads it back as a spreadsheet would get it.
func TestCSVWriterNeutralisesFormulas(t *testing.T) {
	var b bytes.Buffer
	w := newCSVWriter(&b)
	if err := w.Write([]string{"=1+1", "@x", "-7", "Smith"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	rec, err := csv.NewReader(&b).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=1+1", "'@x", "-7", "Smith"}
	for i := range want {
		if rec[i] != want[i] {
			t.Errorf("cell %d = %q, want %q", i, rec[i], want[i])
		}
	}
}
