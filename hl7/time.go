package hl7

import (
	"fmt"
	"time"
)

// ParseTime reads an HL7 date/time (DTM, TS, DT) of any precision:
// YYYY, YYYYMM, YYYYMMDD, YYYYMMDDHH, YYYYMMDDHHMM, YYYYMMDDHHMMSS and
// YYYYMMDDHHMMSS.S to .SSSS, each optionally followed by a UTC offset
// +ZZZZ or -ZZZZ. Missing parts take their lowest value. A time without an
// offset is read as UTC; use ParseTimeIn to read it in the sender's zone.
func ParseTime(s string) (time.Time, error) { return ParseTimeIn(s, time.UTC) }

// ParseTimeIn is ParseTime with times that carry no offset read in loc,
// such as Europe/London for a sender in an English trust.
func ParseTimeIn(s string, loc *time.Location) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("hl7: bad date/time %q: %s", s, why)
	}
	v := s
	// Offset.
	if k := len(v) - 5; k >= 4 && (v[k] == '+' || v[k] == '-') {
		hh, ok1 := digits(v[k+1 : k+3])
		mm, ok2 := digits(v[k+3:])
		if !ok1 || !ok2 || hh > 14 || mm > 59 {
			return bad("offset must be +HHMM or -HHMM")
		}
		off := (hh*60 + mm) * 60
		if v[k] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
		v = v[:k]
	}
	var frac string
	for i := 0; i < len(v); i++ {
		if v[i] == '.' {
			frac, v = v[i+1:], v[:i]
			break
		}
	}
	switch len(v) {
	case 4, 6, 8, 10, 12, 14:
	default:
		return bad("expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]")
	}
	if frac != "" && len(v) != 14 || len(frac) > 4 || (frac == "" && len(v) < len(s) && s[len(v)] == '.') {
		return bad("fractional seconds must follow seconds, 1 to 4 digits")
	}
	f := [6]int{0, 1, 1, 0, 0, 0}
	for i := 0; i*2+4 <= len(v) && i < 6; i++ {
		var ok bool
		if i == 0 {
			f[0], ok = digits(v[:4])
		} else {
			f[i], ok = digits(v[2+i*2 : 4+i*2])
		}
		if !ok {
			return bad("not all digits")
		}
	}
	ns := 0
	if frac != "" {
		n, ok := digits(frac)
		if !ok {
			return bad("fractional seconds are not digits")
		}
		for i := len(frac); i < 9; i++ {
			n *= 10
		}
		ns = n
	}
	t := time.Date(f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], ns, loc)
	if t.Year() != f[0] || int(t.Month()) != f[1] || t.Day() != f[2] || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return bad("no such date or time")
	}
	return t, nil
}

// digits reads s as an unsigned decimal number of at most 9 digits.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// FormatTime writes t as an HL7 date/time to the second with its UTC
// offset, such as "20240131143000+0000".
func FormatTime(t time.Time) string { return t.Format("20060102150405-0700") }

// FormatDate writes t as an HL7 date, such as "20240131" for a date of
// birth.
func FormatDate(t time.Time) string { return t.Format("20060102") }
