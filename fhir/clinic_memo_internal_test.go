package fhir

import (
	"net/http/httptest"
	"testing"
)

// TestMayServeClinics: the requests that may serve outpatient
// appointments or attendances more than once keep a memo of the trust's
// clinics; a read of another type goes without.
func TestMayServeClinics(t *testing.T) {
	for _, tc := range []struct {
		method, path, typ string
		want              bool
	}{
		{"GET", "/fhir/Patient/p1", "Patient", false},
		{"GET", "/fhir/Observation/o1", "Observation", false},
		{"GET", "/fhir/Patient?name=smith", "Patient", true},
		{"POST", "/fhir/Patient/_search", "Patient", true},
		{"POST", "/fhir/Observation/_search", "Observation", true},
		{"GET", "/fhir/Patient/p1/$everything", "Patient", true},
		{"GET", "/fhir/Encounter/op-1", "Encounter", true},
		{"GET", "/fhir/Appointment/a1", "Appointment", true},
		{"POST", "/fhir", "", true},
	} {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		r.SetPathValue("type", tc.typ)
		if got := mayServeClinics(r); got != tc.want {
			t.Errorf("%s %s: %v, want %v", tc.method, tc.path, got, tc.want)
		}
	}
}
