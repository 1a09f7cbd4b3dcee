package fhir_test

import (
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
)

// TestAuditEventSubtype: each audit action is served with the subtype
// code the value set R4 binds AuditEvent.subtype to (extensible) has for
// it, so a validator finds the coding in the value set; only a refused
// access, for which the value set has no code, keeps OpenCRS's own.
func TestAuditEventSubtype(t *testing.T) {
	const (
		rest  = "http://hl7.org/fhir/restful-interaction"
		dicom = "http://dicom.nema.org/resources/ontology/DCM"
		own   = "https://opencrs.org/CodeSystem/audit-action"
	)
	for _, tc := range []struct {
		action                string
		system, code, display string
	}{
		{crs.AuditView, rest, "read", "read"},
		{crs.AuditSearch, rest, "search", "search"},
		{crs.AuditChange, rest, "update", "update"},
		{crs.AuditLogin, dicom, "110122", "Login"},
		{crs.AuditLogout, dicom, "110123", "Logout"},
		{crs.AuditRefused, own, "refused", ""},
	} {
		t.Run(tc.action, func(t *testing.T) {
			ev := fhir.AuditEventOf(&crs.AuditRecord{ID: "a1", OrgID: "o1", At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), UserID: "u1", Username: "u", Action: tc.action})
			subs, _ := ev["subtype"].([]any)
			if len(subs) != 1 {
				t.Fatalf("subtype = %v, want one coding", ev["subtype"])
			}
			got := subs[0].(map[string]any)
			display, _ := got["display"].(string)
			if got["system"] != tc.system || got["code"] != tc.code || display != tc.display {
				t.Errorf("subtype = %v, want %s#%s %q", got, tc.system, tc.code, tc.display)
			}
		})
	}
}
