package fhir

import (
	"strings"
	"unicode"
)

// validFormat reports whether s is in the format R4 gives the primitive
// type t: the whole value matches its regular expression (primitiveFormat).
// The dates and times a resource is full of (every observation has its
// effective time and the time it was issued) are read by hand, which
// takes what the expression takes at a fraction of its cost; the rarer
// types are matched by the expression itself.
func validFormat(t, s string) bool {
	switch t {
	case "date":
		n, rest := datePart(s)
		return n > 0 && rest == ""
	case "dateTime":
		n, rest := datePart(s)
		switch {
		case n == 0:
			return false
		case rest == "":
			return true
		case n < 3 || rest[0] != 'T':
			return false
		}
		return timeZoned(rest[1:])
	case "instant":
		n, rest := datePart(s)
		return n == 3 && rest != "" && rest[0] == 'T' && timeZoned(rest[1:])
	case "time":
		rest, ok := timePart(s)
		return ok && rest == ""
	case "id", "oid", "uuid", "base64Binary":
		return primitiveFormat[t].MatchString(s)
	}
	return true // a string, markdown or xhtml has no format
}

// datePart reads a date as R4 writes it at the start of s: a year other
// than 0000, then optionally -month (01-12), then optionally -day
// (01-31). It returns how many of the three it read and what follows.
func datePart(s string) (n int, rest string) {
	if len(s) < 4 || !isDigits(s[:4]) || s[:4] == "0000" {
		return 0, s
	}
	n, s = 1, s[4:]
	for _, most := range []int{12, 31} {
		if len(s) < 3 || s[0] != '-' || !twoDigitsIn(s[1:3], 1, most) {
			break
		}
		n, s = n+1, s[3:]
	}
	return n, s
}

// timeZoned reports whether s is a time, then optionally a zone: Z, or
// +hh:mm or -hh:mm from 00:00 to 13:59, or 14:00.
func timeZoned(s string) bool {
	zone, ok := timePart(s)
	switch {
	case !ok:
		return false
	case zone == "" || zone == "Z":
		return true
	case len(zone) != 6 || zone[0] != '+' && zone[0] != '-' || zone[3] != ':':
		return false
	}
	return twoDigitsIn(zone[1:3], 0, 13) && twoDigitsIn(zone[4:6], 0, 59) || zone[1:] == "14:00"
}

// timePart reads a time of day at the start of s, hh:mm:ss (hh 00-23,
// mm 00-59, ss 00-60 for a leap second) and optionally a fraction of a
// second, and returns what follows.
func timePart(s string) (rest string, ok bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' || !twoDigitsIn(s[:2], 0, 23) || !twoDigitsIn(s[3:5], 0, 59) || !twoDigitsIn(s[6:8], 0, 60) {
		return s, false
	}
	s = s[8:]
	if len(s) > 1 && s[0] == '.' && isDigit(s[1]) {
		s = strings.TrimLeft(s[1:], "0123456789")
	}
	return s, true
}

// twoDigitsIn reports whether s is two digits of a number from lo to hi.
func twoDigitsIn(s string, lo, hi int) bool {
	if !isDigits(s) {
		return false
	}
	n := int(s[0]-'0')*10 + int(s[1]-'0')
	return n >= lo && n <= hi
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hasSpace reports whether s holds a whitespace character (a uri may
// not): its ASCII ones by a byte's look, any other by unicode.IsSpace.
func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80:
			return strings.IndexFunc(s[i:], unicode.IsSpace) >= 0
		case c == ' ' || c >= '\t' && c <= '\r':
			return true
		}
	}
	return false
}
