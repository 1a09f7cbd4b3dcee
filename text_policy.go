package crs

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The text policy: every free-text field of the record has a length
// limit, and holds printable text only. NUL and other control characters
// (but line breaks and tabs in multi-line fields), Unicode's invisible
// direction overrides and text that is not UTF-8 are refused, by the
// domain's Validate, so the web forms, HL7 messages and FHIR resources
// are all refused the same way, naming the field. Phone numbers, email
// addresses and GP and practice codes must also be in their formats.

// Length limits of free text, in characters.
const (
	MaxNameLength    = 100  // a given, other or family name, a contact's or a GP's name
	MaxTitleLength   = 35   // a title, e.g. Dr, Mrs, The Revd
	MaxLineLength    = 100  // an address line, a practice's name, a relationship, a label
	MaxPhoneLength   = 25   // a phone number as written, spaces and all
	MaxEmailLength   = 254  // an email address (RFC 5321)
	MaxCommentLength = 2000 // a reason, a comment or a note of several lines
)

// textProblem says what is wrong with s as a field's text of at most max
// characters (multi-line if lines), or "" when nothing is.
func textProblem(s string, max int, lines bool) string {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				if !lines || (c != '\n' && c != '\r' && c != '\t') {
					return controlProblem(c)
				}
			}
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "holds bytes that are not text (not UTF-8)"
		case r >= 0x80 && r <= 0x9f:
			return "holds a control character"
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			return "holds an invisible character that reorders text"
		}
		i += size
		n++
	}
	if n > max {
		return "is longer than " + itoa(max) + " characters (it has " + itoa(n) + ")"
	}
	return ""
}

func controlProblem(c byte) string {
	switch c {
	case 0:
		return "holds a NUL character"
	case '\n', '\r':
		return "must be on one line"
	case '\t':
		return "holds a tab"
	}
	return "holds a control character"
}

// itoa writes a small number without strconv (the text checks run for
// every patient imported).
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// addText appends to es the error of a one-line field, if any.
func (es *Errors) addText(field, label, s string, max int) {
	es.addProblem(field, label, textProblem(s, max, false))
}

// addNote appends to es the error of a multi-line field, if any.
func (es *Errors) addNote(field, label, s string, max int) {
	es.addProblem(field, label, textProblem(s, max, true))
}

// addProblem appends to es what textProblem found wrong, if anything.
func (es *Errors) addProblem(field, label, problem string) {
	if problem != "" {
		*es = append(*es, FieldErrorf(field, "%s %s", label, problem))
	}
}

// ValidPhone reports whether s is written as a phone number: digits with
// spaces, hyphens, brackets and a leading +, 3 to 15 digits in all (an extension, 111).
func ValidPhone(s string) bool {
	if len(s) > MaxPhoneLength {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '-' || c == '(' || c == ')':
		case c == '+' && i == 0:
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 15
}

// ValidEmail reports whether s is shaped like an email address: one @
// between a local part and a domain with a dot, no spaces.
func ValidEmail(s string) bool {
	if len(s) > MaxEmailLength || strings.ContainsAny(s, " \t\r\n<>\"(),;:\\[]") {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at < 1 || strings.Count(s, "@") != 1 {
		return false
	}
	domain := s[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1 && !strings.Contains(domain, "..")
}

// ValidGPCode reports whether s is a GP's national code (GENERAL MEDICAL
// PRACTITIONER PPD CODE): a G and seven digits, e.g. G1234567.
func ValidGPCode(s string) bool {
	if len(s) != 8 || s[0] != 'G' {
		return false
	}
	for i := 1; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidPracticeCode reports whether s is a GP practice's ODS code: a
// letter and five digits, e.g. A81001.
func ValidPracticeCode(s string) bool {
	if len(s) != 6 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validateText checks the patient's free text against the text policy
// and the phone numbers, email address and GP codes against their
// formats.
func (p *Patient) validateText(es *Errors) {
	es.addText("title", "the title", p.Title, MaxTitleLength)
	es.addText("given_name", "the given name", p.GivenName, MaxNameLength)
	es.addText("other_names", "the other names", p.OtherNames, MaxNameLength)
	es.addText("family_name", "the family name", p.FamilyName, MaxNameLength)
	for i, l := range p.Address.Lines {
		es.addText("address", "address line "+itoa(i+1), l, MaxLineLength)
	}
	es.addText("postcode", "the postcode", p.Address.Postcode, MaxLineLength)
	for _, f := range []struct{ field, label, v string }{{"phone", "the phone number", p.Phone}, {"mobile", "the mobile number", p.Mobile}} {
		if f.v != "" && !ValidPhone(f.v) {
			*es = append(*es, FieldErrorf(f.field, "%s %q is not a phone number: 3 to 15 digits, with spaces, hyphens, brackets or a leading +", f.label, truncate(f.v)))
		}
	}
	if p.Email != "" && !ValidEmail(p.Email) {
		*es = append(*es, FieldErrorf("email", "the email address %q is not an email address (name@example.nhs.uk)", truncate(p.Email)))
	}
	if p.GPCode != "" && !ValidGPCode(p.GPCode) {
		*es = append(*es, FieldErrorf("gp_code", "the GP code %q is not a GP's national code (G and 7 digits, e.g. G1234567)", truncate(p.GPCode)))
	}
	if p.GPPracticeCode != "" && !ValidPracticeCode(p.GPPracticeCode) {
		*es = append(*es, FieldErrorf("gp_practice_code", "the GP practice code %q is not a practice's ODS code (a letter and 5 digits, e.g. A81001)", truncate(p.GPPracticeCode)))
	}
	es.addText("gp_name", "the GP's name", p.GPName, MaxNameLength)
	es.addText("gp_practice_name", "the GP practice's name", p.GPPracticeName, MaxLineLength)
	for i, c := range p.Contacts {
		n := "contact " + itoa(i+1) + "'s "
		es.addText("contact_name", n+"name", c.Name, MaxNameLength)
		es.addText("contact_relationship", n+"relationship", c.Relationship, MaxLineLength)
		if c.Phone != "" && !ValidPhone(c.Phone) {
			*es = append(*es, FieldErrorf("contact_phone", "%sphone %q is not a phone number", n, truncate(c.Phone)))
		}
	}
}

// truncate shortens a value quoted in an error to what a reader needs.
func truncate(s string) string {
	if len(s) <= 40 {
		return s
	}
	for i := 40; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "..."
		}
	}
	return ""
}

// MaxDocumentText is the most characters a text document holds.
const MaxDocumentText = 1 << 20

func (d *Document) validateText(es *Errors) {
	es.addText("number", "the document number", d.Number, MaxLineLength)
	es.addText("title", "the title", d.Title, MaxLineLength*2)
	es.addText("type", "the type", d.TypeName, MaxLineLength)
	es.addText("author", "the author", d.Author, MaxLineLength*2)
	es.addText("authenticator", "the authenticator", d.Authenticator, MaxLineLength*2)
	es.addNote("content", "the text", d.Text, MaxDocumentText)
	es.addNote("cancel_reason", "the reason", d.CancelReason, MaxCommentLength)
}

func (p *Preadmission) validateText(es *Errors) {
	es.addText("ward", "the ward code", p.WardCode, MaxLineLength)
	es.addNote("cancel_reason", "the reason", p.CancelReason, MaxCommentLength)
}

func (e *WaitingListEntry) validateText(es *Errors) {
	es.addText("procedure_name", "the procedure's name", e.ProcedureName, MaxLineLength*2)
	es.addNote("suspended_reason", "the reason", e.SuspendedReason, MaxCommentLength)
	es.addNote("removal_reason", "the reason", e.RemovalReason, MaxCommentLength)
	es.addNote("removal_note", "the note", e.RemovalNote, MaxCommentLength)
}

func (e *EDAttendance) validateText(es *Errors) {
	es.addNote("complaint", "the presenting complaint", e.Complaint, MaxCommentLength)
	es.addText("location", "the location", e.Location, MaxLineLength)
	es.addText("seen_by", "seen by", e.SeenBy, MaxNameLength)
}

func (r *Referral) validateText(es *Errors) {
	es.addText("referrer_name", "the referrer's name", r.ReferrerName, MaxNameLength)
	es.addNote("reason", "the reason", r.Reason, MaxCommentLength)
	es.addNote("closed_reason", "the reason", r.ClosedReason, MaxCommentLength)
}

func (m *CodeMap) validateText(es *Errors) {
	es.addText("from", "the code", m.From, MaxLineLength)
	es.addText("to", "the code", m.To, MaxLineLength)
}

func (c *Clinic) validateText(es *Errors) {
	es.addText("code", "the code", c.Code, 20)
	es.addText("name", "the name", c.Name, MaxLineLength)
	es.addText("team", "the team", c.Team, MaxLineLength)
}

// MaxResourceText is the most characters one string of a FHIR resource
// holds (an attachment's base64 data included).
const MaxResourceText = 8 << 20

// CheckText applies the text policy to every string of the resource's
// JSON: none may hold a control character but line breaks and tabs, or
// an invisible character that reorders text. The error names the
// element, e.g. Patient.name[0].family, as a FHIR expression.
func (r *Resource) CheckText() error {
	if !suspectText(r.Body) {
		return nil
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return Errorf(EINVALID, "the resource is not JSON: %v", err)
	}
	return checkJSONText(r.Type, v)
}

// suspectText reports whether a JSON text may hold a string the policy
// refuses: an escaped control character (\u0000 to \u001f but \n, \r and
// \t, or \u007f to \u009f) or a direction override, escaped or not. Most
// resources hold none and are not decoded again.
func suspectText(b []byte) bool {
	// Each of the three bytes that may begin one is looked for on its
	// own (bytes.IndexByte, many bytes a step): most resources hold a
	// few escapes and none of the others, and the one writer reads every
	// resource it is handed.
	return suspectAt(b, '\\', 2, func(s []byte) bool { // the backslash and the escaped character
		return len(s) > 5 && s[1] == 'u' && suspectEscape(s[2:6])
	}) || suspectAt(b, 0xe2, 1, func(s []byte) bool { // U+2000 to U+2FFF in UTF-8
		return len(s) > 2 && (s[1] == 0x80 && (s[2] >= 0xaa && s[2] <= 0xae || s[2] == 0x8e || s[2] == 0x8f) ||
			s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
	}) || suspectAt(b, 0xc2, 1, func(s []byte) bool { // U+0080 to U+00BF
		return len(s) > 1 && s[1] <= 0x9f
	})
}

// suspectAt reports whether suspect holds of the text from any c of b
// on, passing over step bytes from each.
func suspectAt(b []byte, c byte, step int, suspect func(from []byte) bool) bool {
	for i := 0; i < len(b); i += step {
		j := bytes.IndexByte(b[i:], c)
		if j < 0 {
			return false
		}
		i += j
		if suspect(b[i:]) {
			return true
		}
	}
	return false
}

// suspectEscape reports whether the four hex digits of a \\u escape name
// a character the policy refuses, or one that may be.
func suspectEscape(hex []byte) bool {
	h := strings.ToLower(string(hex))
	return strings.HasPrefix(h, "00") && (h[2] <= '1' || h[2] == '7' || h[2] == '8' || h[2] == '9') ||
		strings.HasPrefix(h, "202") || strings.HasPrefix(h, "206") || h == "200e" || h == "200f"
}

// checkJSONText walks a decoded JSON value, checking its strings.
func checkJSONText(path string, v any) error {
	switch x := v.(type) {
	case string:
		if p := textProblem(x, MaxResourceText, true); p != "" {
			return FieldErrorf(path, "%s %s", path, p)
		}
	case []any:
		for i, e := range x {
			if err := checkJSONText(path+"["+itoa(i)+"]", e); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, e := range x {
			if err := checkJSONText(path+"."+k, e); err != nil {
				return err
			}
		}
	}
	return nil
}
