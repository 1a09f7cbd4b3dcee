package crs

import (
	"regexp"
	"strings"

	"github.com/opencrs/crs/nhs"
)

var (
	mrnPattern      = regexp.MustCompile(`^[A-Za-z]{0,3}[0-9]{5,10}$`)
	postcodeOutward = regexp.MustCompile(`^[A-Za-z]{1,2}[0-9][A-Za-z0-9]?$`)
)

// ParseText reads what a clerk typed into the one search box and fills
// in the query's structured fields. It understands an NHS number (with or
// without spaces), a hospital number, a date of birth (DD/MM/YYYY or
// YYYY-MM-DD), a postcode (whole, or its outward part), a gender (M, F) and
// names: "family, given" or "given family" where a comma says which is
// which, otherwise the first name typed is taken as the family name as
// PAS users are taught. Fields already set are kept.
func (q *PatientQuery) ParseText() {
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return
	}
	if n, err := nhs.ParseNumber(text); err == nil {
		if q.NHSNumber == "" {
			q.NHSNumber = n
		}
		return
	}
	if mrnPattern.MatchString(text) && strings.IndexAny(text, "0123456789") >= 0 {
		if q.MRN == "" {
			q.MRN = strings.ToUpper(text)
		}
		return
	}
	// A whole postcode is two tokens; join them before splitting.
	var names []string
	comma := strings.Index(text, ",")
	tokens := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		if i+1 < len(tokens) && ValidPostcode(tok+" "+tokens[i+1]) && postcodeOutward.MatchString(tok) {
			if q.Postcode == "" {
				q.Postcode = NormalizePostcode(tok + tokens[i+1])
			}
			i++
			continue
		}
		if strings.IndexAny(tok, "0123456789") >= 0 {
			if d, err := ParseDate(tok); err == nil {
				if q.BirthDate.IsZero() {
					q.BirthDate = d
				}
				continue
			}
			if ValidPostcode(tok) {
				if q.Postcode == "" {
					q.Postcode = NormalizePostcode(tok)
				}
				continue
			}
			if postcodeOutward.MatchString(tok) {
				if q.Postcode == "" {
					q.Postcode = strings.ToUpper(tok)
				}
				continue
			}
			continue // digits we cannot place are ignored rather than matched as names
		}
		switch strings.ToUpper(tok) {
		case "M", "MALE":
			if q.Gender == "" {
				q.Gender = "1"
			}
			continue
		case "F", "FEMALE":
			if q.Gender == "" {
				q.Gender = "2"
			}
			continue
		}
		names = append(names, tok)
	}
	if len(names) == 0 {
		return
	}
	family, given := names[0], ""
	if len(names) > 1 {
		given = names[1]
		if comma < 0 {
			// Without a comma, "john smith" and "smith john" are both common;
			// the family name is taken first, as PAS users are trained.
			family, given = names[0], names[1]
		}
	}
	if q.FamilyName == "" {
		q.FamilyName = family
	}
	if q.GivenName == "" {
		q.GivenName = given
	}
}
