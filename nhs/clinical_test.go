package nhs

import (
	"strings"
	"testing"
)

func TestNormalise(t *testing.T) {
	tests := []struct{ system, in, want, wantErr string }{
		{ICD10, "A00.0", "A000", ""},
		{ICD10, "a000", "A000", ""},
		{ICD10, " J18.9 ", "J189", ""},
		{ICD10, "I10", "I10X", ""},
		{ICD10, "I10X", "I10X", ""},
		{ICD10, "M25.56", "M2556", ""},
		{ICD10, "A0.00", "", "dot in the wrong place"},
		{ICD10, "100.0", "", "not a letter and two digits"},
		{ICD10, "A00.Q", "", "fourth character"},
		{ICD10, "", "", "empty"},
		{ICD10, "A00000000", "", "not a letter"},
		{OPCS4, "A01.1", "A011", ""},
		{OPCS4, "a011", "A011", ""},
		{OPCS4, "W37.1", "W371", ""},
		{OPCS4, "A01", "", "three digits"},
		{OPCS4, "A01.11", "", "three digits"},
		{OPCS4, "AA1.1", "", "three digits"},
		{OPCS4, "", "", "empty"},
		{"read", "A01.1", "", "not icd10 or opcs4"},
	}
	for _, tc := range tests {
		t.Run(tc.system+" "+tc.in, func(t *testing.T) {
			got, err := Normalise(tc.system, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Normalise(%s, %q) = %q, %v; want error with %q", tc.system, tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Normalise(%s, %q) = %q, %v; want %q", tc.system, tc.in, got, err, tc.want)
			}
		})
	}
}

func TestReadCodeList(t *testing.T) {
	t.Run("csv with header", func(t *testing.T) {
		got, err := ReadCodeList(strings.NewReader("code,description\nA00.0,Cholera one\nI10,\"Hypertension, essential\"\n"), "icd.csv", ICD10)
		if err != nil {
			t.Fatal(err)
		}
		want := []Code{{"A000", "Cholera one"}, {"I10X", "Hypertension, essential"}}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("tsv", func(t *testing.T) {
		got, err := ReadCodeList(strings.NewReader("W37.1\tPrimary total hip replacement\nH01.1\tAppendicectomy\n"), "opcs.tsv", OPCS4)
		if err != nil || len(got) != 2 || got[1].Code != "H011" {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	t.Run("bad lines named by file and line", func(t *testing.T) {
		_, err := ReadCodeList(strings.NewReader("code,description\nA01.1,ok\nA1,bad\nA01.1,again\nB01.1\n"), "opcs.csv", OPCS4)
		if err == nil {
			t.Fatal("no error")
		}
		for _, want := range []string{"opcs.csv:3: OPCS-4 code \"A1\"", "opcs.csv:4: code A01.1 is already on line 2", "opcs.csv:5: a line is a code and its description"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		if _, err := ReadCodeList(strings.NewReader("code,description\n"), "e.csv", ICD10); err == nil || !strings.Contains(err.Error(), "no codes") {
			t.Fatalf("err = %v", err)
		}
	})
}
