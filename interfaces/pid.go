package interfaces

import (
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/nhs"
)

// nullValue is HL7's explicit "delete this value": two double quotes.
const nullValue = `""`

// readPID applies the demographics of a message's PID (and PD1, NK1) to
// p. A field left empty keeps p's value, so a partial update changes only
// what it carries; a field holding "" clears the value. Identifiers come
// from ids (PID-3): the NHS number replaces p's when the message has one.
func readPID(m *hl7.Message, p *crs.Patient, ids identifiers, zone *time.Location, codes *coder) error {
	pid := m.Segment("PID")
	if pid == nil {
		return fieldErr("PID", 0, hl7.CodeSegmentSequence, "the PID segment is missing")
	}
	set := func(dst *string, v string) {
		switch v {
		case "":
		case nullValue:
			*dst = ""
		default:
			*dst = strings.TrimSpace(v)
		}
	}
	if ids.NHS != "" {
		p.NHSNumber = ids.NHS
	}
	if st := pid.Get("32.1"); st != "" && st != nullValue {
		code := strings.TrimPrefix(strings.ToUpper(st), "NSTS")
		s := nhs.NumberStatus(code)
		switch {
		case !s.Valid():
			return fieldErr("PID", 32, hl7.CodeTableValueNotFound, "PID-32 NHS number status %q is not one of NSTS01 to NSTS08", st)
		case p.NHSNumber == "" && s.NumberPresent():
			// A status of a number the message does not give (or that failed
			// its check): the record keeps no NHS number, so no status of one.
			codes.warnings = append(codes.warnings, hl7.ACKError{Segment: "PID", Sequence: 1, Field: 32, Code: hl7.CodeDataType, Severity: hl7.SeverityWarning,
				Text: fmt.Sprintf("PID-32 NHS number status %s is of an NHS number the message does not give: not recorded", st)})
		default:
			p.NHSNumberStatus = s
		}
	} else if ids.NHS != "" && p.NHSNumberStatus == "" {
		p.NHSNumberStatus = nhs.NumberNotTraced
	}
	// PID-5 name: the legal name (type L) if it is whole, else the first
	// whole name (family and given), else the first. The family name is
	// the surname, the first subcomponent of XPN-1.
	rep := pickName(m)
	name := func(c int) string { return m.Get(fmt.Sprintf("PID-5[%d].%d", rep, c)) }
	set(&p.FamilyName, m.Get(fmt.Sprintf("PID-5[%d].1.1", rep)))
	set(&p.GivenName, name(2))
	set(&p.OtherNames, name(3))
	set(&p.Title, name(5))
	if v := pid.Get("7.1"); v == nullValue {
		p.BirthDate = crs.Date{}
	} else if v != "" {
		t, err := hl7.ParseTime(v)
		if err != nil {
			return fieldErr("PID", 7, hl7.CodeDataType, "PID-7 date of birth %q is not an HL7 date (YYYYMMDD)", v)
		}
		p.BirthDate = crs.DateOf(t)
	}
	if v := pid.Get("8"); v != "" {
		g, ok, err := codes.sex(v)
		if err != nil {
			return err
		}
		if ok {
			p.Gender = g
		}
	}
	// PID-11 address: the home address (type H) if given, else the first.
	if n := m.Count("PID-11"); n > 0 {
		rep := 1
		for r := 1; r <= n; r++ {
			if m.Get(fmt.Sprintf("PID-11[%d].7", r)) == "H" {
				rep = r
				break
			}
		}
		if m.Get(fmt.Sprintf("PID-11[%d]", rep)) == nullValue {
			p.Address = crs.Address{}
		} else {
			var lines []string
			for _, c := range []int{1, 2, 3, 4} {
				if v := strings.TrimSpace(m.Get(fmt.Sprintf("PID-11[%d].%d", rep, c))); v != "" && v != nullValue {
					lines = append(lines, v)
				}
			}
			p.Address = crs.Address{Lines: lines, Postcode: strings.TrimSpace(m.Get(fmt.Sprintf("PID-11[%d].5", rep)))}
			if pc := p.Address.Postcode; pc != "" && !crs.ValidPostcode(pc) {
				// Not a UK postcode (an address abroad, a mistyped code): the
				// address keeps it as its last line, with a warning.
				p.Address.Lines, p.Address.Postcode = append(p.Address.Lines, pc), ""
				codes.note("PID", 11, "", pc, fmt.Sprintf("PID-11 postcode %q is not a UK postcode: kept as the last line of the address, with no postcode", pc))
			}
		}
	}
	// PID-13 home phone numbers: a CP equipment type is the mobile, an
	// Internet address the email.
	for r := 1; r <= m.Count("PID-13"); r++ {
		p13 := func(c int) string { return m.Get(fmt.Sprintf("PID-13[%d].%d", r, c)) }
		switch {
		case p13(2) == "NET" || p13(3) == "Internet":
			set(&p.Email, p13(4))
		case p13(3) == "CP":
			set(&p.Mobile, p13(1))
		default:
			set(&p.Phone, p13(1))
		}
	}
	if v := pid.Get("22.1"); v == nullValue {
		p.EthnicCategory = ""
	} else if v != "" {
		c, ok, err := codes.ethnicCategory(v)
		if err != nil {
			return err
		}
		if ok {
			p.EthnicCategory = c
		}
	}
	if v := pid.Get("29.1"); v == nullValue {
		p.DeathTime = nil
	} else if v != "" {
		t, err := hl7.ParseTimeIn(v, zone)
		if err != nil {
			return fieldErr("PID", 29, hl7.CodeDataType, "PID-29 date of death %q is not an HL7 date/time", v)
		}
		t = t.UTC()
		p.DeathTime = &t
	}
	// PD1-3 registered practice (name^^code) and PD1-4 registered GP
	// (code^family^given^^^title). The codes are not key fields: a sender's
	// own code, not in the national format, is not recorded (the practice
	// or GP is kept by name, with no code), and the message is applied
	// with a warning and a data-quality entry keeping the code as received.
	if pd1 := m.Segment("PD1"); pd1 != nil {
		if v := pd1.Get("3"); v == nullValue {
			p.GPPracticeCode, p.GPPracticeName = "", ""
		} else if v != "" {
			p.GPPracticeName = pd1.Get("3.1")
			p.GPPracticeCode = gpCode(codes, 3, "practice", pd1.Get("3.3"), crs.ValidPracticeCode,
				"a practice's ODS code (a letter and 5 digits, e.g. A81001)")
		}
		if v := pd1.Get("4"); v == nullValue {
			p.GPCode, p.GPName = "", ""
		} else if v != "" {
			p.GPCode = gpCode(codes, 4, "GP", pd1.Get("4.1"), crs.ValidGPCode,
				"a GP's national code (G and 7 digits, e.g. G1234567)")
			p.GPName = strings.TrimSpace(strings.Join([]string{pd1.Get("4.6"), pd1.Get("4.3"), pd1.Get("4.2")}, " "))
		}
	}
	// NK1: next of kin and other contacts replace the list when present.
	if nk := m.Segments("NK1"); len(nk) > 0 {
		var cs []crs.Contact
		for _, s := range nk {
			c := crs.Contact{Name: strings.TrimSpace(s.Get("2.2") + " " + s.Get("2.1")), Relationship: s.Get("3.2"), Phone: s.Get("5.1")}
			if c.Relationship == "" {
				c.Relationship = s.Get("3.1")
			}
			if c.Name != "" {
				cs = append(cs, c)
			}
		}
		p.Contacts = cs
	}
	return nil
}

// gpCode reads the code of PD1-3 (the practice) or PD1-4 (the GP): a
// code in its national format is recorded; another (a sender's local
// code) is left out of the record, with a warning and a data-quality
// entry keeping it as received.
func gpCode(codes *coder, field int, who, v string, valid func(string) bool, format string) string {
	v = strings.ToUpper(strings.TrimSpace(v))
	if v == "" || valid(v) {
		return v
	}
	codes.note("PD1", field, "", v, fmt.Sprintf("PD1-%d %s code %q is not %s: the %s is recorded with no code; the code as received is kept on the data-quality entry", field, who, v, format, who))
	return ""
}

// genders maps HL7 administrative sex (table 0001) to the PERSON STATED
// GENDER CODE; Data Dictionary codes are taken as they are.
var genders = map[string]string{
	"M": "1", "F": "2", "U": "X", "O": "9", "A": "9", "N": "X",
	"1": "1", "2": "2", "9": "9", "X": "X", "0": "X",
}

// pickName chooses the repetition of PID-5 to read: the legal name (type
// L) when it has a family and a given name, else the first that has both,
// else the first.
func pickName(m *hl7.Message) int {
	n := m.Count("PID-5")
	whole := func(r int) bool {
		return m.Get(fmt.Sprintf("PID-5[%d].1.1", r)) != "" && m.Get(fmt.Sprintf("PID-5[%d].2", r)) != ""
	}
	for r := 1; r <= n; r++ {
		if m.Get(fmt.Sprintf("PID-5[%d].7", r)) == "L" && whole(r) {
			return r
		}
	}
	for r := 1; r <= n; r++ {
		if whole(r) {
			return r
		}
	}
	return 1
}
