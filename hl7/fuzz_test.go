package hl7

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.hl7"))
	if _, err := os.Stat(sharedDir); err == nil {
		for _, dir := range []string{"ms", "hapi"} {
			more, _ := filepath.Glob(filepath.Join(sharedDir, dir, "*"))
			seeds = append(seeds, more...)
		}
	}
	for _, file := range seeds {
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, msg := range Split(data) {
			f.Add(msg)
		}
	}
	f.Add([]byte("MSH|^~\\&#|A\rPID|1|a\\X41\\^b&c~d\r"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			return
		}
		out := m.Bytes()
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("Bytes() %q does not parse: %v", out, err)
		}
		if out2 := m2.Bytes(); !bytes.Equal(out, out2) {
			t.Fatalf("Bytes changed on re-parse:\n1: %q\n2: %q", out, out2)
		}
		// Reading any part must not panic either.
		_ = Pretty(m)
		_ = m.Type() + m.ControlID() + m.Version() + m.Get("PID-3[2].4.1")
		_, _ = ReadACK(m)
		_ = NewACK(m, AE, "X", zeroTime, ACKError{Segment: "PID", Text: "x"}).Bytes()
		if err := m.Set("PID-3[2].4.2", "v|^&~\\"); err == nil {
			if _, err := Parse(m.Bytes()); err != nil {
				t.Fatalf("after Set, %q does not parse: %v", m.Bytes(), err)
			}
		}
	})
}
