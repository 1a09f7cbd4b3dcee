package hl7

import (
	"bytes"
	"testing"
)

// FuzzSplitParts cuts arbitrary files into messages: it must never
// panic, the parts must start on increasing lines within the file, and
// every part but the first must start with MSH.
func FuzzSplitParts(f *testing.F) {
	f.Add([]byte("MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\r"))
	f.Add([]byte("\x0bMSH|^~\\&|A\rPID|1\x1c\x0bMSH|^~\\&|B\x1c\r"))
	f.Add([]byte("# c\r\nFHS|^~\\&\r\nMSH|^~\\&|A\r\n\x1a"))
	f.Add([]byte("EVN|A01\nMSH|^~\\&|A\n\n\nMSH|^~\\&|B"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := SplitParts(data)
		lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + bytes.Count(data, []byte{mllpEnd}) + 1
		last := 0
		for i, p := range parts {
			if len(p.Data) == 0 {
				t.Fatalf("part %d is empty", i+1)
			}
			if p.Line <= last || p.Line > lines {
				t.Fatalf("part %d starts on line %d, after line %d (the file has at most %d)", i+1, p.Line, last, lines)
			}
			last = p.Line
			if i > 0 && !bytes.HasPrefix(bytes.TrimLeft(p.Data, " \t"), []byte("MSH")) {
				t.Fatalf("part %d does not start with MSH: %q", i+1, p.Data)
			}
		}
	})
}
