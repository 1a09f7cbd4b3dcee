package crs

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestTextPolicy(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	base := func() *Patient {
		p := &Patient{FamilyName: "Smith", GivenName: "Anne", BirthDate: NewDate(1980, 1, 1), Gender: "2"}
		p.Normalize()
		return p
	}
	for _, tc := range []struct {
		name   string
		change func(p *Patient)
		field  string // "" for valid
		says   string
	}{
		{"a plain record", func(p *Patient) {}, "", ""},
		{"names with accents and apostrophes", func(p *Patient) { p.FamilyName, p.GivenName = "O'Brien-Núñez", "Zoë" }, "", ""},
		{"a NUL in the family name", func(p *Patient) { p.FamilyName = "Smith\x00" }, "family_name", "NUL"},
		{"a line break in the given name", func(p *Patient) { p.GivenName = "Anne\r\nMSH|^~\\&" }, "given_name", "one line"},
		{"an escape sequence in the title", func(p *Patient) { p.Title = "\x1b[2J" }, "title", "control character"},
		{"a C1 control in an address line", func(p *Patient) { p.Address.Lines = []string{"1 High St\u0085"} }, "address", "control character"},
		{"a direction override in the name", func(p *Patient) { p.FamilyName = "Smith\u202egnp.exe" }, "family_name", "reorders"},
		{"bytes that are not UTF-8", func(p *Patient) { p.GivenName = "Ann\xff" }, "given_name", "UTF-8"},
		{"a family name too long", func(p *Patient) { p.FamilyName = strings.Repeat("a", MaxNameLength+1) }, "family_name", "longer than 100"},
		{"a family name at the limit", func(p *Patient) { p.FamilyName = strings.Repeat("é", MaxNameLength) }, "", ""},
		{"a phone number", func(p *Patient) { p.Phone, p.Mobile = "020 7946 0000", "+44 (0)7700 900123" }, "", ""},
		{"a phone number with letters", func(p *Patient) { p.Phone = "call me on 0207" }, "phone", "not a phone number"},
		{"a phone number too short", func(p *Patient) { p.Mobile = "12" }, "mobile", "not a phone number"},
		{"an email address", func(p *Patient) { p.Email = "anne.smith@example.nhs.uk" }, "", ""},
		{"an email address without a domain", func(p *Patient) { p.Email = "anne.smith@" }, "email", "not an email"},
		{"an email address with a header", func(p *Patient) { p.Email = "a@b.com\r\nBcc: x@y.com" }, "email", "not an email"},
		{"a GP code", func(p *Patient) { p.GPCode, p.GPPracticeCode = "G1234567", "A81001" }, "", ""},
		{"a GP code of the wrong shape", func(p *Patient) { p.GPCode = "88" }, "gp_code", "G and 7 digits"},
		{"a practice code of the wrong shape", func(p *Patient) { p.GPPracticeCode = "SIISCLIENT818" }, "gp_practice_code", "ODS code"},
		{"a contact's phone", func(p *Patient) { p.Contacts = []Contact{{Name: "Bob Smith", Relationship: "Husband", Phone: "x"}} }, "contact_phone", "not a phone number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.change(p)
			err := p.Validate(now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want valid", err)
				}
				return
			}
			fe := FieldErrors(err)
			if fe[tc.field] == "" || !strings.Contains(fe[tc.field], tc.says) {
				t.Fatalf("Validate = %v, want an error on %s saying %q", err, tc.field, tc.says)
			}
		})
	}
}

func TestResourceText(t *testing.T) {
	for _, tc := range []struct {
		name, body, field string
	}{
		{"plain", `{"resourceType":"Patient","name":[{"family":"Smith","given":["Anne"]}]}`, ""},
		{"line breaks in a narrative", `{"resourceType":"Patient","text":{"div":"<div>a\nb\tc</div>"}}`, ""},
		{"an escaped NUL", `{"resourceType":"Patient","name":[{"family":"Smith\u0000"}]}`, "Patient.name[0].family"},
		{"an escaped escape", `{"resourceType":"Patient","name":[{"given":["A","\u001b[2J"]}]}`, "Patient.name[0].given[1]"},
		{"a direction override", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Smith\u202e\"}]}", "Patient.name[0].family"},
		{"an escaped backslash before u0000 text", `{"resourceType":"Patient","name":[{"family":"a\\u0000"}]}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := (&Resource{Type: "Patient", Body: []byte(tc.body)}).CheckText()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("CheckText = %v, want none", err)
				}
				return
			}
			if ErrorCode(err) != EINVALID || ErrorField(err) != tc.field {
				t.Fatalf("CheckText = %v (field %q), want EINVALID on %s", err, ErrorField(err), tc.field)
			}
		})
	}
}

// suspectTextByByte is suspectText as it was written first, a byte at a
// time: the reference FuzzSuspectText holds it to.
func suspectTextByByte(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\\':
			if i+5 < len(b) && b[i+1] == 'u' && suspectEscape(b[i+2:i+6]) {
				return true
			}
			i++ // the escaped character
		case 0xe2:
			if i+2 < len(b) && (b[i+1] == 0x80 && (b[i+2] >= 0xaa && b[i+2] <= 0xae || b[i+2] == 0x8e || b[i+2] == 0x8f) ||
				b[i+1] == 0x81 && b[i+2] >= 0xa6 && b[i+2] <= 0xa9) {
				return true
			}
		case 0xc2:
			if i+1 < len(b) && b[i+1] <= 0x9f {
				return true
			}
		}
	}
	return false
}

// FuzzSuspectText checks that suspectText misses nothing the byte at a
// time reading finds, and finds more only where a backslash escapes a
// byte no JSON escape can (which the full check then refuses as not
// JSON).
func FuzzSuspectText(f *testing.F) {
	for _, s := range []string{`a\u0000`, `a\\u0000`, "x\u202ey", `\u202E`, "\u0085", `\\\u0007`, "\\\u202e", `"\u00e9"`, "\u2028"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := suspectText(b), suspectTextByByte(b)
		if want && !got {
			t.Fatalf("suspectText(%q) = false, the byte at a time reading finds one", b)
		}
		if got && !want && !bytes.Contains(b, []byte{'\\', 0xe2}) && !bytes.Contains(b, []byte{'\\', 0xc2}) {
			t.Fatalf("suspectText(%q) = true, the byte at a time reading finds none", b)
		}
	})
}

// BenchmarkSuspectText reads a resource's text of about 1.5 KB with a
// few escapes, as a Synthea resource is, for suspect characters: as the
// one writer does for every resource it is handed.
func BenchmarkSuspectText(b *testing.B) {
	body := []byte(`{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"vital-signs"}]}],` +
		strings.Repeat(`"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"Heart \"rate\""},`, 10) +
		`"valueQuantity":{"value":61.0,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`)
	for _, f := range []struct {
		name string
		f    func([]byte) bool
	}{{"by byte", suspectTextByByte}, {"by index", suspectText}} {
		b.Run(f.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if f.f(body) {
					b.Fatal("suspect")
				}
			}
		})
	}
}
