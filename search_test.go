package crs_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opencrs/crs"
)

func TestPatientQueryParseText(t *testing.T) {
	tests := []struct {
		text string
		want crs.PatientQuery
	}{
		{"999 000 0018", crs.PatientQuery{NHSNumber: "9990000018"}},
		{"9990000018", crs.PatientQuery{NHSNumber: "9990000018"}},
		{"r0001234", crs.PatientQuery{MRN: "R0001234"}},
		{"smith", crs.PatientQuery{FamilyName: "smith"}},
		{"smith john", crs.PatientQuery{FamilyName: "smith", GivenName: "john"}},
		{"smith, john 12/03/1980", crs.PatientQuery{FamilyName: "smith", GivenName: "john", BirthDate: crs.NewDate(1980, 3, 12)}},
		{"smith 1980-03-12 e1 6an", crs.PatientQuery{FamilyName: "smith", BirthDate: crs.NewDate(1980, 3, 12), Postcode: "E1 6AN"}},
		{"smith E1", crs.PatientQuery{FamilyName: "smith", Postcode: "E1"}},
		{"jones f", crs.PatientQuery{FamilyName: "jones", Gender: "2"}},
		{"  ", crs.PatientQuery{}},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			q := crs.PatientQuery{Text: tc.text}
			q.ParseText()
			q.Text = ""
			if diff := cmp.Diff(tc.want, q); diff != "" {
				t.Errorf("ParseText(%q) (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

func FuzzPatientQueryParseText(f *testing.F) {
	for _, s := range []string{"smith, john 12/03/1980 E1 6AN", "999 000 0018", "R0001", "a,b,c", "12/13/2020", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := crs.PatientQuery{Text: s}
		q.ParseText()
		if q.NHSNumber != "" && len(q.NHSNumber) != 10 {
			t.Fatalf("NHS number %q from %q is not 10 digits", q.NHSNumber, s)
		}
	})
}

func TestPatientValidate(t *testing.T) {
	now := crs.NewDate(2026, 3, 1).Time
	ok := crs.Patient{FamilyName: "Smith", GivenName: "Ann", BirthDate: crs.NewDate(1980, 1, 1), Gender: "2"}
	ok.Normalize()
	if err := ok.Validate(now); err != nil {
		t.Fatalf("valid patient: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(p *crs.Patient)
		field string
	}{
		{"no family name", func(p *crs.Patient) { p.FamilyName = "" }, "family_name"},
		{"future birth", func(p *crs.Patient) { p.BirthDate = crs.NewDate(2027, 1, 1) }, "birth_date"},
		{"bad gender", func(p *crs.Patient) { p.Gender = "M" }, "gender"},
		{"bad NHS number", func(p *crs.Patient) { p.NHSNumber = "9990000019" }, "nhs_number"},
		{"status needs number", func(p *crs.Patient) { p.NHSNumberStatus = "01" }, "nhs_number"},
		{"bad postcode", func(p *crs.Patient) { p.Address.Postcode = "12345" }, "postcode"},
		{"bad ethnic category", func(p *crs.Patient) { p.EthnicCategory = "Q" }, "ethnic_category"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.edit(&p)
			err := p.Validate(now)
			if crs.ErrorCode(err) != crs.EINVALID || crs.FieldErrors(err)[tc.field] == "" {
				t.Errorf("err = %v, want EINVALID on %s", err, tc.field)
			}
		})
	}
}
