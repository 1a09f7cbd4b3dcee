package nhs

import (
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		name, in, want, wantErr string
	}{
		{"plain", "9990000018", "9990000018", ""},
		{"spaced 3-3-4", "999 000 0018", "9990000018", ""},
		{"hyphens", "999-000-0018", "9990000018", ""},
		{"surrounding spaces", "  9434765919 ", "9434765919", ""},
		{"check digit 0 from remainder 11", "9990000360", "", ""},
		{"wrong check digit", "9990000019", "", "check digit is 9 but should be 8"},
		{"remainder 10 impossible", "9990000010", "", ""},
		{"too short", "999000001", "", "this has 9"},
		{"too long", "99900000181", "", "more"},
		{"letter", "99900A0018", "", "character 6 is 'A'"},
		{"empty", "", "", "no NHS number"},
		{"all same digit", "1111111111", "", "all 10 digits are the same"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseNumber(tc.in)
			if tc.want == "" && tc.wantErr == "" {
				// Computed case: must agree with CheckDigit.
				d, ok := CheckDigit(tc.in[:9])
				valid := ok && int(tc.in[9]-'0') == d
				if valid != (err == nil) {
					t.Fatalf("ParseNumber(%q) err = %v, CheckDigit says valid=%v", tc.in, err, valid)
				}
				return
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseNumber(%q) err = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseNumber(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestCheckDigit(t *testing.T) {
	// 943 476 5919 is the NHS number used in NHS Digital's own examples.
	if d, ok := CheckDigit("943476591"); !ok || d != 9 {
		t.Fatalf("CheckDigit(943476591) = %d, %v; want 9, true", d, ok)
	}
	// Every 9-digit prefix yields either exactly one valid number or none.
	for i := 0; i < 1000; i++ {
		nine := "999000" + pad3(i)
		d, ok := CheckDigit(nine)
		valid := 0
		for c := byte('0'); c <= '9'; c++ {
			if ValidNumber(nine + string(c)) {
				valid++
				if !ok || int(c-'0') != d {
					t.Fatalf("%s%c valid but CheckDigit = %d, %v", nine, c, d, ok)
				}
			}
		}
		if ok && valid != 1 || !ok && valid != 0 {
			t.Fatalf("prefix %s: %d valid numbers, CheckDigit ok=%v", nine, valid, ok)
		}
	}
}

func pad3(i int) string {
	s := "00" + itoa(i)
	return s[len(s)-3:]
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestFormatNumber(t *testing.T) {
	if got, want := FormatNumber("9990000018"), "999 000 0018"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got, want := FormatNumber("123"), "123"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestNumberStatus(t *testing.T) {
	for _, s := range NumberStatuses() {
		if !s.Valid() || s.Description() == "" {
			t.Errorf("status %s not valid or undescribed", s)
		}
	}
	for _, s := range []NumberStatus{"", "00", "09", "1"} {
		if s.Valid() {
			t.Errorf("status %q valid, want invalid", s)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"9990000018", "999 000 0018", "", "abc", "99900000181", "999-000-0018"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			return
		}
		if len(n) != 10 {
			t.Fatalf("ParseNumber(%q) = %q: not 10 digits", s, n)
		}
		again, err := ParseNumber(FormatNumber(n))
		if err != nil || again != n {
			t.Fatalf("round trip of %q: %q, %v", n, again, err)
		}
	})
}
