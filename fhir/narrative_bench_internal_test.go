package fhir

import (
	"testing"

	"github.com/opencrs/crs/demo"
)

// BenchmarkServedPatient serves a patient of the PMI as a read does
// (the resource built, its narrative written, the JSON encoded), and
// the narrative alone, so that its share of a read shows.
func BenchmarkServedPatient(b *testing.B) {
	p := demo.NewGenerator(1).Patient()
	p.ID, p.Version = "01a24b1e-f752-74d9-a71a-fcb87ecb5829", 1
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := servedPatient(p, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("narrative", func(b *testing.B) {
		r := patientResource(p, nil)
		b.ReportAllocs()
		for b.Loop() {
			withNarrative(r)
		}
	})
}
