package fhir

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecodeBundle reads a Synthea patient's transaction Bundle as
// a stored resource is read (Decode) and as a client's is checked before
// it is written (decodeSent: formats, required elements and codes too).
func BenchmarkDecodeBundle(b *testing.B) {
	dir := "../../shared/data"
	if s := os.Getenv("CRS_SHARED"); s != "" {
		dir = filepath.Join(s, "data")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "fhir/synthea/*.json.gz"))
	if len(files) == 0 {
		b.Skip("no Synthea bundles (set CRS_SHARED to the shared directory)")
	}
	f, err := os.Open(files[0])
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(z)
	if err != nil {
		b.Fatal(err)
	}
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
