package hl7

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var zeroTime time.Time

// benchORU builds a result message with n OBX segments.
func benchORU(n int) []byte {
	var b strings.Builder
	b.WriteString("MSH|^~\\&|LAB|RXH|CRS|RXH|20240201091500||ORU^R01^ORU_R01|LAB0000042|P|2.5.1\r")
	b.WriteString("PID|1||9990000026^^^NHS^NH~RXH1234^^^RXH^MR||TESTPATIENT^Brian^^^Mr||19711105|M|||2 Test Road^^Testtown^^TE2 2ST^GBR\r")
	b.WriteString("PV1|1|O|CLINIC1^^^RXH||||C1234^Consultant^Carol^^^Dr\r")
	b.WriteString("OBR|1|ORD1|FIL1|PANEL^Biochemistry panel^LOCAL|||20240201080000|||||||||C1234^Consultant^Carol||||||20240201091000|||F\r")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "OBX|%d|NM|T%03d^Test number %d^LOCAL||%d.%d|mmol/L|3.5-5.3|N|||F|||20240201090000||LABTECH1^Tech^Terry\r", i, i, i, i*7%100, i%10)
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	adt, err := os.ReadFile(filepath.Join("testdata", "adt_a01.hl7"))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"ADT_A01", adt},
		{"ORU_R01_50_OBX", benchORU(50)},
	}
	if data, err := os.ReadFile(filepath.Join(sharedDir, "ms", "ADT-A01-01.hl7")); err == nil {
		cases = append(cases, struct {
			name string
			data []byte
		}{"ADT_A01_corpus", data})
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(tc.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	m, err := Parse(benchORU(50))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if m.Get("PID-3[2].1") != "RXH1234" || m.Get("OBX[50]-3.1") != "T050" {
			b.Fatal("wrong value")
		}
	}
}

func BenchmarkBytes(b *testing.B) {
	data := benchORU(50)
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Bytes()
	}
}

// BenchmarkParseCorpus parses every message of the shared corpus once per
// iteration, for a mix of senders, sizes and line ends.
func BenchmarkParseCorpus(b *testing.B) {
	var msgs [][]byte
	for _, dir := range []string{"ms", "hapi"} {
		files, _ := filepath.Glob(filepath.Join(sharedDir, dir, "*"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				b.Fatal(err)
			}
			for _, msg := range Split(data) {
				if _, err := Parse(msg); err == nil {
					msgs = append(msgs, msg)
				}
			}
		}
	}
	if len(msgs) == 0 {
		b.Skipf("no shared HL7 corpus at %s", sharedDir)
	}
	n := 0
	for _, msg := range msgs {
		n += len(msg)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		for _, msg := range msgs {
			if _, err := Parse(msg); err != nil {
				b.Fatal(err)
			}
		}
	}
}
