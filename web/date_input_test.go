package web

import (
	"io/fs"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestNoNativeDateInputs fails when any template asks the browser for
// its own date or time control: dates are typed in the date input
// (day / month / year) and times in the 24-hour time box.
func TestNoNativeDateInputs(t *testing.T) {
	native := regexp.MustCompile(`(?i)type\s*=\s*"?(date|datetime-local|time|month|week)\b`)
	kind := regexp.MustCompile(`kind\s+"(date|datetime-local|time|month|week)"`)
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(templateFS, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{native, kind} {
			if m := re.Find(b); m != nil {
				t.Errorf("%s has a native date or time input: %s", n, m)
			}
		}
	}
}

// TestParseTypedDate reads dates as typed in the three boxes, with the
// NHS design system's messages for what cannot be read.
func TestParseTypedDate(t *testing.T) {
	const label = "Date of birth"
	tests := []struct {
		name             string
		day, month, year string
		want             crs.Date
		msg              string
	}{
		{"all empty", "", "", "", crs.Date{}, ""},
		{"a date", "15", "3", "1984", crs.NewDate(1984, 3, 15), ""},
		{"leading zeros", "05", "03", "1984", crs.NewDate(1984, 3, 5), ""},
		{"29 February in a leap year", "29", "2", "2024", crs.NewDate(2024, 2, 29), ""},
		{"29 February 2000 (leap century)", "29", "2", "2000", crs.NewDate(2000, 2, 29), ""},
		{"29 February in a common year", "29", "2", "2027", crs.Date{}, "Date of birth must be a real date"},
		{"29 February 1900 (not a leap year)", "29", "2", "1900", crs.Date{}, "Date of birth must be a real date"},
		{"31 April", "31", "4", "2026", crs.Date{}, "Date of birth must be a real date"},
		{"30 April", "30", "4", "2026", crs.NewDate(2026, 4, 30), ""},
		{"month 13", "1", "13", "2026", crs.Date{}, "Date of birth must be a real date"},
		{"day 0", "0", "1", "2026", crs.Date{}, "Date of birth must be a real date"},
		{"two-digit year", "15", "3", "84", crs.Date{}, "Date of birth must include a year of 4 numbers, for example 1984"},
		{"three-digit year", "15", "3", "984", crs.Date{}, "Date of birth must include a year of 4 numbers, for example 1984"},
		{"five-digit year", "15", "3", "19840", crs.Date{}, "Date of birth must be a real date"},
		{"letters", "15", "March", "1984", crs.Date{}, "Date of birth must be a real date"},
		{"a space inside a box", "1 5", "3", "1984", crs.Date{}, "Date of birth must be a real date"},
		{"a sign", "+5", "3", "1984", crs.Date{}, "Date of birth must be a real date"},
		{"no day", "", "3", "1984", crs.Date{}, "Date of birth must include a day"},
		{"no month", "15", "", "1984", crs.Date{}, "Date of birth must include a month"},
		{"no year", "15", "3", "", crs.Date{}, "Date of birth must include a year"},
		{"day only", "15", "", "", crs.Date{}, "Date of birth must include a month and year"},
		{"year only", "", "", "1984", crs.Date{}, "Date of birth must include a day and month"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := parseTypedDate(typedDate{Day: tc.day, Month: tc.month, Year: tc.year}, label)
			if msg != tc.msg || !got.Equal(tc.want.Time) {
				t.Errorf("parseTypedDate(%q, %q, %q) = %v, %q; want %v, %q", tc.day, tc.month, tc.year, got, msg, tc.want, tc.msg)
			}
		})
	}
}

// TestTypedDateIn reads a date input from submitted values: the three
// boxes trimmed of spaces, or a single value as older links send it.
func TestTypedDateIn(t *testing.T) {
	tests := []struct {
		name string
		v    url.Values
		want crs.Date
		msg  string
	}{
		{"three boxes", url.Values{"d-day": {"2"}, "d-month": {"3"}, "d-year": {"2026"}}, crs.NewDate(2026, 3, 2), ""},
		{"spaces around the numbers", url.Values{"d-day": {" 2 "}, "d-month": {"\t3"}, "d-year": {"2026 "}}, crs.NewDate(2026, 3, 2), ""},
		{"boxes of spaces only", url.Values{"d-day": {" "}, "d-month": {" "}, "d-year": {" "}}, crs.Date{}, ""},
		{"a link's YYYY-MM-DD", url.Values{"d": {"2026-03-02"}}, crs.NewDate(2026, 3, 2), ""},
		{"a link's DD/MM/YYYY", url.Values{"d": {"02/03/2026"}}, crs.NewDate(2026, 3, 2), ""},
		{"a link's date and time", url.Values{"d": {"2026-03-02T09:15"}}, crs.NewDate(2026, 3, 2), ""},
		{"a link's 31 April", url.Values{"d": {"2026-04-31"}}, crs.Date{}, "Date must be a real date"},
		{"a link's words", url.Values{"d": {"tomorrow"}}, crs.Date{}, "Date must be a real date"},
		{"the boxes win over a single value", url.Values{"d": {"2026-03-02"}, "d-day": {"9"}, "d-month": {"3"}, "d-year": {"2026"}}, crs.NewDate(2026, 3, 9), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := parseTypedDate(typedDateIn(tc.v, "d"), "Date")
			if msg != tc.msg || !got.Equal(tc.want.Time) {
				t.Errorf("got %v, %q; want %v, %q", got, msg, tc.want, tc.msg)
			}
		})
	}
}

// TestParseTypedDateTime reads a date and a 24-hour time as UK time:
// GMT in winter, BST in summer, a time alone as today.
func TestParseTypedDateTime(t *testing.T) {
	now := time.Date(2026, 7, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		date  typedDate
		clock string
		want  time.Time
		msg   string
	}{
		{"empty is none (now)", typedDate{}, "", time.Time{}, ""},
		{"winter, GMT", typedDate{Day: "2", Month: "3", Year: "2026"}, "09:15", time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), ""},
		{"summer, BST", typedDate{Day: "2", Month: "7", Year: "2026"}, "09:15", time.Date(2026, 7, 2, 8, 15, 0, 0, time.UTC), ""},
		{"hhmm without a colon", typedDate{Day: "2", Month: "3", Year: "2026"}, "0915", time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC), ""},
		{"a time alone is today", typedDate{}, "14:05", time.Date(2026, 7, 10, 13, 5, 0, 0, time.UTC), ""},
		{"no time", typedDate{Day: "2", Month: "3", Year: "2026"}, "", time.Time{}, "Time admitted must include a time"},
		{"25 o'clock", typedDate{Day: "2", Month: "3", Year: "2026"}, "25:00", time.Time{}, "Time admitted must include a real time on the 24-hour clock, for example 14:05"},
		{"12-hour clock", typedDate{Day: "2", Month: "3", Year: "2026"}, "2:05pm", time.Time{}, "Time admitted must include a real time on the 24-hour clock, for example 14:05"},
		{"no month", typedDate{Day: "2", Month: "", Year: "2026"}, "09:15", time.Time{}, "Time admitted must include a month"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, msg := parseTypedDateTime(tc.date, tc.clock, "Time admitted", now)
			if msg != tc.msg || !got.Equal(tc.want) {
				t.Errorf("got %v, %q; want %v, %q", got, msg, tc.want, tc.msg)
			}
		})
	}
}

// TestShowDate writes dates and times one way, in UK time, and Not known
// for none.
func TestShowDate(t *testing.T) {
	summer := time.Date(2026, 7, 2, 23, 30, 5, 0, time.UTC) // 00:30 on 3 July in London
	for _, tc := range []struct{ name, got, want string }{
		{"date", showDate(crs.NewDate(2026, 12, 5)), "05-Dec-2026"},
		{"no date", showDate(crs.Date{}), "Not known"},
		{"datetime in BST", showDateTime(summer), "03-Jul-2026 00:30"},
		{"datetime in GMT", showDateTime(time.Date(2026, 12, 5, 14, 5, 0, 0, time.UTC)), "05-Dec-2026 14:05"},
		{"no datetime", showDateTime(time.Time{}), "Not known"},
		{"to the second", showDateTimeSec(summer), "03-Jul-2026 00:30:05"},
		{"clock", showClock(summer), "00:30"},
		{"a date held as text", showISODate("2026-11-30"), "30-Nov-2026"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}
