package crs

import (
	"testing"
	"time"
)

func TestDocumentValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		d     Document
		field string // the field the error names; "" for valid
	}{
		{"text", Document{PatientID: "p", Number: "D1", ContentType: ContentText, Text: "Dear Dr"}, ""},
		{"pdf", Document{PatientID: "p", Number: "D1", ContentType: ContentPDF, Content: []byte("%PDF-")}, ""},
		{"reference", Document{PatientID: "p", Number: "D1", ContentType: ContentReference, Reference: "https://x"}, ""},
		{"no number", Document{PatientID: "p", ContentType: ContentText, Text: "x"}, "number"},
		{"blank text", Document{PatientID: "p", Number: "D1", ContentType: ContentText, Text: " \n"}, "content"},
		{"empty file", Document{PatientID: "p", Number: "D1", ContentType: ContentPDF}, "content"},
		{"no reference", Document{PatientID: "p", Number: "D1", ContentType: ContentReference}, "content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.d.Validate()
			if tc.field == "" {
				if err != nil {
					t.Errorf("got %v, want valid", err)
				}
				return
			}
			if _, ok := FieldErrors(err)[tc.field]; ErrorCode(err) != EINVALID || !ok {
				t.Errorf("got %v, want EINVALID on %s", err, tc.field)
			}
		})
	}
}

func TestDocumentInherit(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	prev := &Document{TypeCode: "DS", TypeName: "Discharge summary", Title: "Summary", Status: "AU", Author: "C1 GREY", Authenticator: "C1 GREY", At: at}
	d := &Document{Status: "LA"}
	d.Inherit(prev)
	if d.TypeCode != "DS" || d.Title != "Summary" || d.Status != "LA" || d.Author != "C1 GREY" || !d.At.Equal(at) {
		t.Errorf("inherited: %+v", d)
	}
	if (&Document{Number: "D9"}).Name() != "Document D9" || prev.Name() != "Summary" || DocumentStatusName("au") != "Authenticated" {
		t.Errorf("names: %q %q %q", (&Document{Number: "D9"}).Name(), prev.Name(), DocumentStatusName("au"))
	}
}
