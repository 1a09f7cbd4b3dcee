// Package nhs holds NHS Data Dictionary rules and code lists: the NHS
// number and its check digit, and the coded values that patient
// administration records carry. It does no I/O.
package nhs

import (
	"fmt"
	"strings"
)

// NumberError says why a string is not a valid NHS number.
type NumberError struct {
	Input  string
	Reason string
}

func (e *NumberError) Error() string { return e.Reason }

// ParseNumber reads an NHS number written as 10 digits, with or without
// the spaces or hyphens of the 3-3-4 display, and checks it with the
// Modulus 11 algorithm. It returns the 10 digits with no separators.
func ParseNumber(s string) (string, error) {
	var b strings.Builder
	b.Grow(10)
	digits := 0
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			digits++
			if digits > 10 {
				return "", &NumberError{s, "an NHS number has 10 digits; this has more"}
			}
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", &NumberError{s, fmt.Sprintf("an NHS number has only digits; character %d is %q", i+1, r)}
		}
	}
	n := b.String()
	if len(n) == 0 {
		return "", &NumberError{s, "no NHS number was given"}
	}
	if len(n) != 10 {
		return "", &NumberError{s, fmt.Sprintf("an NHS number has 10 digits; this has %d", len(n))}
	}
	check, ok := CheckDigit(n[:9])
	if !ok {
		return "", &NumberError{s, "fails the Modulus 11 check: no check digit is possible for its first 9 digits"}
	}
	if int(n[9]-'0') != check {
		return "", &NumberError{s, fmt.Sprintf("fails the Modulus 11 check: the check digit is %c but should be %d", n[9], check)}
	}
	if strings.Count(n, n[:1]) == 10 {
		return "", &NumberError{s, "is not a real NHS number: all 10 digits are the same"}
	}
	return n, nil
}

// ValidNumber reports whether s is a valid NHS number.
func ValidNumber(s string) bool {
	_, err := ParseNumber(s)
	return err == nil
}

// CheckDigit computes the Modulus 11 check digit for the first nine
// digits of an NHS number. ok is false when the remainder gives 10, which
// no valid NHS number can have.
func CheckDigit(nine string) (digit int, ok bool) {
	if len(nine) != 9 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		c := nine[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		sum += int(c-'0') * (10 - i)
	}
	d := 11 - sum%11
	switch d {
	case 11:
		return 0, true
	case 10:
		return 0, false
	}
	return d, true
}

// FormatNumber writes a 10-digit NHS number in the 3-3-4 display used on
// screens and letters, e.g. "999 000 0018". Other input comes back as is.
func FormatNumber(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

// InTestRange reports whether n lies in the 999 000 0000 to 999 999 9999
// range kept for test and synthetic data.
func InTestRange(n string) bool { return len(n) == 10 && strings.HasPrefix(n, "999") }

// NumberStatus is the NHS NUMBER STATUS INDICATOR CODE: how far the
// patient's NHS number has been traced and verified.
type NumberStatus string

// NHS number status indicator codes (NHS Data Dictionary).
const (
	NumberVerified        NumberStatus = "01" // number present and verified
	NumberNotTraced       NumberStatus = "02" // number present but not traced
	NumberTraceRequired   NumberStatus = "03" // trace required
	NumberTraceNoMatch    NumberStatus = "04" // trace attempted, no match or multiple match
	NumberTraceToResolve  NumberStatus = "05" // trace needs to be resolved (conflict)
	NumberTraceInProgress NumberStatus = "06" // trace in progress
	NumberNotRequired     NumberStatus = "07" // number not present and trace not required
	NumberTracePostponed  NumberStatus = "08" // trace postponed (baby under six weeks old)
)

var numberStatusNames = map[NumberStatus]string{
	NumberVerified:        "Number present and verified",
	NumberNotTraced:       "Number present but not traced",
	NumberTraceRequired:   "Trace required",
	NumberTraceNoMatch:    "Trace attempted - no match or multiple match found",
	NumberTraceToResolve:  "Trace needs to be resolved (NHS number or patient detail conflict)",
	NumberTraceInProgress: "Trace in progress",
	NumberNotRequired:     "Number not present and trace not required",
	NumberTracePostponed:  "Trace postponed (baby under six weeks old)",
}

// Valid reports whether s is one of the codes 01 to 08.
func (s NumberStatus) Valid() bool { _, ok := numberStatusNames[s]; return ok }

// Description is the Data Dictionary's description of the code.
func (s NumberStatus) Description() string { return numberStatusNames[s] }

// NumberPresent reports whether a patient with this status should have an
// NHS number recorded (codes 01 and 02, and a conflict under resolution).
func (s NumberStatus) NumberPresent() bool {
	return s == NumberVerified || s == NumberNotTraced || s == NumberTraceToResolve
}

// NumberStatuses lists the codes in order, for pick lists.
func NumberStatuses() []NumberStatus {
	return []NumberStatus{"01", "02", "03", "04", "05", "06", "07", "08"}
}

// Code is one entry of a Data Dictionary code list.
type Code struct {
	Code, Description string
}

// Genders is the PERSON STATED GENDER CODE list.
var Genders = []Code{
	{"1", "Male"}, {"2", "Female"}, {"9", "Indeterminate"}, {"X", "Not known"},
}

// EthnicCategories is the ETHNIC CATEGORY list (2001 census groups).
var EthnicCategories = []Code{
	{"A", "White - British"}, {"B", "White - Irish"}, {"C", "White - Any other White background"},
	{"D", "Mixed - White and Black Caribbean"}, {"E", "Mixed - White and Black African"},
	{"F", "Mixed - White and Asian"}, {"G", "Mixed - Any other mixed background"},
	{"H", "Asian or Asian British - Indian"}, {"J", "Asian or Asian British - Pakistani"},
	{"K", "Asian or Asian British - Bangladeshi"}, {"L", "Asian or Asian British - Any other Asian background"},
	{"M", "Black or Black British - Caribbean"}, {"N", "Black or Black British - African"},
	{"P", "Black or Black British - Any other Black background"}, {"R", "Other Ethnic Groups - Chinese"},
	{"S", "Other Ethnic Groups - Any other ethnic group"}, {"Z", "Not stated"}, {"99", "Not known"},
}

// Lookup returns the description of code in list, and whether it is there.
func Lookup(list []Code, code string) (string, bool) {
	for _, c := range list {
		if c.Code == code {
			return c.Description, true
		}
	}
	return "", false
}
