// Clinical classifications a clinical coder codes a consultant episode
// with: ICD-10 for diagnoses and OPCS-4 for procedures, and the code lists
// a trust loads of them.

package nhs

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Classification systems of clinical coding.
const (
	ICD10 = "icd10" // ICD-10 diagnoses (the WHO classification, 5th edition as used in England)
	OPCS4 = "opcs4" // OPCS-4 interventions and procedures
)

// SystemName returns the name of a classification system for messages.
func SystemName(system string) string {
	switch system {
	case ICD10:
		return "ICD-10"
	case OPCS4:
		return "OPCS-4"
	}
	return system
}

// NormaliseICD10 checks the form of an ICD-10 code and returns it as the
// Commissioning Data Set carries it: capital letters, no dot, four or more
// characters, a three-character category padded with X (I10 is I10X).
// A00.0, a000 and A000 are all A000; A01.00 is A0100 (a fifth character
// of the UK edition).
func NormaliseICD10(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "" {
		return "", errors.New("the ICD-10 code is empty")
	}
	if i := strings.IndexByte(c, '.'); i >= 0 {
		if i != 3 {
			return "", fmt.Errorf("ICD-10 code %q has its dot in the wrong place: it comes after the third character, as in A00.0", code)
		}
		c = c[:3] + c[4:]
	}
	if len(c) < 3 || len(c) > 6 || !isLetter(c[0]) || !isDigit(c[1]) || !isDigit(c[2]) {
		return "", fmt.Errorf("ICD-10 code %q is not a letter and two digits with an optional fourth character, as in A00.0 or A000", code)
	}
	if len(c) == 3 {
		return c + "X", nil
	}
	if !isDigit(c[3]) && c[3] != 'X' {
		return "", fmt.Errorf("ICD-10 code %q has a fourth character that is not a digit or X", code)
	}
	for i := 4; i < len(c); i++ {
		if !isDigit(c[i]) && !isLetter(c[i]) {
			return "", fmt.Errorf("ICD-10 code %q has a character that is not a letter or digit", code)
		}
	}
	return c, nil
}

// NormaliseOPCS4 checks the form of an OPCS-4 code and returns it as the
// Commissioning Data Set carries it: a capital letter and three digits with
// no dot. A01.1, a011 and A011 are all A011.
func NormaliseOPCS4(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "" {
		return "", errors.New("the OPCS-4 code is empty")
	}
	if len(c) == 5 && c[3] == '.' {
		c = c[:3] + c[4:]
	}
	if len(c) != 4 || !isLetter(c[0]) || !isDigit(c[1]) || !isDigit(c[2]) || !isDigit(c[3]) {
		return "", fmt.Errorf("OPCS-4 code %q is not a letter and three digits, as in A01.1 or A011", code)
	}
	return c, nil
}

// Normalise checks a code of a classification system and returns it in
// the form the Commissioning Data Set carries it.
func Normalise(system, code string) (string, error) {
	switch system {
	case ICD10:
		return NormaliseICD10(code)
	case OPCS4:
		return NormaliseOPCS4(code)
	}
	return "", fmt.Errorf("classification %q is not icd10 or opcs4", system)
}

// DisplayCode writes a normalised code with its dot, as a coder reads it:
// A000 is A00.0, I10X is I10.X, A011 is A01.1.
func DisplayCode(code string) string {
	if len(code) < 4 {
		return code
	}
	return code[:3] + "." + code[3:]
}

// ReadCodeList reads a trust's code list of a classification system: CSV
// or tab-separated (the first line decides), each line a code and its
// description, with an optional header line (code,description). Every
// code is checked and normalised; a file with a bad line returns the
// errors of all its bad lines as NAME:LINE: what is wrong, and no codes.
func ReadCodeList(r io.Reader, name, system string) ([]Code, error) {
	if system != ICD10 && system != OPCS4 {
		return nil, fmt.Errorf("classification %q is not icd10 or opcs4", system)
	}
	br := bufio.NewReader(r)
	first, _ := br.Peek(4096)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	if bytes.IndexByte(first, '\t') >= 0 && bytes.IndexByte(first, ',') < 0 {
		cr.Comma = '\t'
	}
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	var out []Code
	var errs []string
	seen := map[string]int{}
	CSVLines(cr, func(rec []string, line int, err error) bool {
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", name, line, err))
			return false
		}
		if len(out) == 0 && len(errs) == 0 && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), "code") {
			return true // the header
		}
		if len(rec) < 2 || strings.TrimSpace(rec[1]) == "" {
			errs = append(errs, fmt.Sprintf("%s:%d: a line is a code and its description; this one has no description", name, line))
			return true
		}
		code, err := Normalise(system, strings.TrimPrefix(rec[0], "\ufeff"))
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", name, line, err))
			return true
		}
		if prev, dup := seen[code]; dup {
			errs = append(errs, fmt.Sprintf("%s:%d: code %s is already on line %d", name, line, DisplayCode(code), prev))
			return true
		}
		seen[code] = line
		out = append(out, Code{Code: code, Description: strings.TrimSpace(rec[1])})
		return true
	})
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "\n"))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no codes in the file", name)
	}
	return out, nil
}

func isLetter(b byte) bool { return b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool  { return b >= '0' && b <= '9' }
