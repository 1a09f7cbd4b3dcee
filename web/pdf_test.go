package web

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// checkPDF checks the structure a PDF reader relies on: the header, each
// object where the cross-reference table says it is, each stream's
// length, and the trailer; it returns the text shown on its pages.
func checkPDF(t *testing.T, b []byte) string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(b, []byte("%%EOF\n")) {
		t.Fatalf("not a PDF: %q ... %q", b[:min(20, len(b))], b[max(0, len(b)-20):])
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	at, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(b[at:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the xref table", at)
	}
	rows := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(b[at:], -1)
	for i, r := range rows {
		off, _ := strconv.Atoi(string(r[1]))
		if want := fmt.Sprintf("%d 0 obj\n", i+1); !bytes.HasPrefix(b[off:], []byte(want)) {
			t.Errorf("xref row %d: offset %d holds %q, want %q", i+1, off, b[off:off+12], want)
		}
	}
	for _, s := range regexp.MustCompile(`(?s)<< /Length (\d+) >>\nstream\n(.*?)endstream`).FindAllSubmatch(b, -1) {
		if n, _ := strconv.Atoi(string(s[1])); n != len(s[2]) {
			t.Errorf("stream /Length %d, holds %d bytes", n, len(s[2]))
		}
	}
	var text []string
	for _, s := range regexp.MustCompile(`\((.*?)\) Tj`).FindAllSubmatch(b, -1) {
		text = append(text, string(s[1]))
	}
	return strings.Join(text, "\n")
}

// TestWritePDF writes a letter long enough for two pages, with text to
// escape and to wrap, and checks its structure and text.
func TestWritePDF(t *testing.T) {
	long := strings.Repeat("Amoxicillin 500 mg oral three times a day (for 7 days). ", 12)
	var blocks []pdfBlock
	for i := 0; i < 40; i++ {
		blocks = append(blocks, pdfBlock{Text: fmt.Sprintf("Heading %d", i), Bold: true}, pdfBlock{Text: long})
	}
	var buf bytes.Buffer
	if err := writePDF(&buf, "Discharge summary", blocks); err != nil {
		t.Fatal(err)
	}
	text := checkPDF(t, buf.Bytes())
	for _, want := range []string{"Heading 0", "Heading 39", `\(for 7 days\)`, "page 1 of", "page 2 of"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}
	for _, l := range strings.Split(text, "\n") {
		if len(l) > 100 {
			t.Errorf("line not wrapped: %d characters", len(l))
		}
	}
	if n := strings.Count(buf.String(), "/Type /Page /Parent"); n < 2 {
		t.Errorf("%d pages, want the letter over at least 2", n)
	}
}
