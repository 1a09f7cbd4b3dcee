package fhir_test

import "testing"

// BenchmarkPatientScan measures the searches of patients no index leads,
// on a trust of 10,000 patients: a page of those of one gender (the
// scan stops at the page), a city no patient lives in (the scan reads
// the trust), and a count of every patient.
func BenchmarkPatientScan(b *testing.B) {
	srv, _ := benchPMI(b, 10000, 12)
	for _, bc := range []struct{ name, query string }{
		{"gender-page", "gender=female&_count=50"},
		{"city-none", "address-city=Nowhere"},
		{"count-all", "_summary=count"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchGet(b, srv.URL+"/fhir/Patient?"+bc.query, "t")
			}
		})
	}
}
