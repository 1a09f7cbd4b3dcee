package fhir

import "testing"

// BenchmarkDecodeBundle reads a Synthea patient's transaction Bundle as
// a stored resource is read (Decode) and as a client's is checked before
// it is written (decodeSent: formats, required elements and codes too).
func BenchmarkDecodeBundle(b *testing.B) {
	body := gunzip(b, syntheaBundles(b)[0])
	for _, bc := range []struct {
		name   string
		decode func([]byte) (Resource, error)
	}{{"stored", Decode}, {"sent", decodeSent}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
