package nhs

import (
	"strings"
	"testing"
)

func TestNormaliseICD10(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{"A00.0", "A000", ""},
		{"a000", "A000", ""},
		{" J18.9 ", "J189", ""},
		{"I10", "I10X", ""},
		{"I10X", "I10X", ""},
		{"M25.56", "M2556", ""},
		{"A0.00", "", "dot in the wrong place"},
		{"100.0", "", "not a letter and two digits"},
		{"A00.Q", "", "fourth character"},
		{"", "", "empty"},
		{"A00000000", "", "not a letter"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormaliseICD10(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NormaliseICD10(%q) = %q, %v; want error with %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormaliseICD10(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNormaliseOPCS4(t *testing.T) {
	tests := []struct{ in, want, wantErr string }{
		{"A01.1", "A011", ""},
		{"a011", "A011", ""},
		{"W37.1", "W371", ""},
		{"A01", "", "three digits"},
		{"A01.11", "", "three digits"},
		{"AA1.1", "", "three digits"},
		{"", "", "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormaliseOPCS4(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("NormaliseOPCS4(%q) = %q, %v; want error with %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormaliseOPCS4(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
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
