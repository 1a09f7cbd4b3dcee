package bench

import (
	"testing"

	"github.com/opencrs/crs/hl7"
)

// BenchmarkParseADT parses the message `crs bench hl7` times, so its MB/s
// is the figure the parser's target is set against.
func BenchmarkParseADT(b *testing.B) {
	b.SetBytes(int64(len(parserSample)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hl7.Parse(parserSample); err != nil {
			b.Fatal(err)
		}
	}
}
