package crs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want crs.Date
	}{
		{"ISO", "2020-03-04", crs.NewDate(2020, time.March, 4)},
		{"ISO leap day", "2020-02-29", crs.NewDate(2020, time.February, 29)},
		{"ISO leap day of 2000", "2000-02-29", crs.NewDate(2000, time.February, 29)},
		{"DD/MM/YYYY is day first", "04/03/2020", crs.NewDate(2020, time.March, 4)},
		{"DD/MM/YYYY end of year", "31/12/1999", crs.NewDate(1999, time.December, 31)},
		{"D/M/YYYY", "4/3/2020", crs.NewDate(2020, time.March, 4)},
		{"D/MM/YYYY", "4/03/2020", crs.NewDate(2020, time.March, 4)},
		{"DD/M/YYYY", "14/3/2020", crs.NewDate(2020, time.March, 14)},
		{"YYYYMMDD as HL7 writes it", "19610203", crs.NewDate(1961, time.February, 3)},
		{"an old date of birth", "01/01/1900", crs.NewDate(1900, time.January, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := crs.ParseDate(tc.in)
			if err != nil {
				t.Fatalf("ParseDate(%q): %v", tc.in, err)
			}
			if !got.Equal(tc.want.Time) || got.Location() != time.UTC {
				t.Errorf("ParseDate(%q) = %v; want %v", tc.in, got.Time, tc.want.Time)
			}
			if h, m, s := got.Clock(); h != 0 || m != 0 || s != 0 || got.Nanosecond() != 0 {
				t.Errorf("ParseDate(%q) = %v; want midnight UTC", tc.in, got.Time)
			}
		})
	}
}

func TestParseDateInvalid(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"31 February", "31/02/2020"},
		{"29 February in a common year", "29/02/2021"},
		{"29 February 1900", "1900-02-29"},
		{"month 13", "2020-13-01"},
		{"month 0", "2020-00-10"},
		{"day 32", "32/01/2020"},
		{"day 0", "00/01/2020"},
		{"ISO without leading zeros", "2020-1-5"},
		{"American order", "12/31/2020"},
		{"two-digit year", "4/3/20"},
		{"slashes in ISO order", "2020/03/04"},
		{"YYYYMMDD month 13", "20201301"},
		{"leading space", " 2020-03-04"},
		{"trailing space", "2020-03-04 "},
		{"with a time", "2020-03-04T10:00:00Z"},
		{"words", "yesterday"},
		{"year 1, the date that means not known", "0001-01-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := crs.ParseDate(tc.in)
			if err == nil {
				t.Fatalf("ParseDate(%q) = %v; want an error", tc.in, got)
			}
			if code := crs.ErrorCode(err); code != crs.EINVALID {
				t.Errorf("ParseDate(%q): error code %q; want %q", tc.in, code, crs.EINVALID)
			}
			if !got.IsZero() {
				t.Errorf("ParseDate(%q) = %v with the error; want the zero date", tc.in, got)
			}
			msg := crs.ErrorMessage(err)
			for _, want := range []string{"DD/MM/YYYY", "YYYY-MM-DD"} {
				if !strings.Contains(msg, want) {
					t.Errorf("ParseDate(%q) error %q; want it to say how to write a date (%s)", tc.in, msg, want)
				}
			}
			if tc.in != "" && !strings.Contains(msg, tc.in) {
				t.Errorf("ParseDate(%q) error %q; want it to quote what was written", tc.in, msg)
			}
		})
	}
}

// FuzzParseDate checks that ParseDate never panics and that any date it
// accepts is a real calendar date at midnight UTC that reads back the
// same from its String form.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2020-03-04", "04/03/2020", "4/3/2020", "19610203", "31/02/2020", "2020-13-01", "", "0001-01-01", "9999-12-31", "1/1/0000", "+0000101"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := crs.ParseDate(s)
		if err != nil {
			if crs.ErrorCode(err) != crs.EINVALID {
				t.Fatalf("ParseDate(%q): error code %q; want %q", s, crs.ErrorCode(err), crs.EINVALID)
			}
			return
		}
		if d.IsZero() {
			t.Fatalf("ParseDate(%q) accepted it as the zero date, which means not known", s)
		}
		if d.Location() != time.UTC || !d.Equal(crs.DateOf(d.Time).Time) {
			t.Fatalf("ParseDate(%q) = %v; want midnight UTC", s, d.Time)
		}
		back, err := crs.ParseDate(d.String())
		if err != nil {
			t.Fatalf("ParseDate(%q) = %v, whose String %q does not parse: %v", s, d.Time, d.String(), err)
		}
		if !back.Equal(d.Time) {
			t.Fatalf("ParseDate(%q) = %v, but its String %q parses as %v", s, d.Time, d.String(), back.Time)
		}
	})
}
