package web

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// A4 pages in points, with 2 cm margins.
const (
	pdfWidth, pdfHeight = 595.0, 842.0
	pdfMargin           = 56.0
)

// pdfBlock is a paragraph of a letter: text in Helvetica (bold for
// headings) at a size in points, wrapped to the page.
type pdfBlock struct {
	Text string
	Bold bool
	Size float64 // 0 means 11
	Gap  float64 // extra space before it, in points
}

// writePDF writes blocks as a PDF 1.4 document of A4 text pages in the
// standard Helvetica fonts, which every reader has, so nothing is
// embedded: the letters a trust prints and sends. Text outside Latin-1 is
// written as "?".
func writePDF(w io.Writer, title string, blocks []pdfBlock) error {
	type line struct {
		text string
		bold bool
		size float64
		y    float64
	}
	var pages [][]line
	var cur []line
	y := pdfHeight - pdfMargin
	for _, b := range blocks {
		size := b.Size
		if size == 0 {
			size = 11
		}
		lead := size * 1.35
		y -= b.Gap
		for _, para := range strings.Split(b.Text, "\n") {
			for _, l := range wrapText(para, size, b.Bold) {
				if y-lead < pdfMargin {
					pages, cur, y = append(pages, cur), nil, pdfHeight-pdfMargin
				}
				y -= lead
				cur = append(cur, line{l, b.Bold, size, y})
			}
		}
	}
	pages = append(pages, cur)

	var buf bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, buf.Len())
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	buf.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// 1 catalog, 2 pages, 3 and 4 fonts, 5 info, then a page and its
	// contents for each page.
	kids := make([]string, len(pages))
	for i := range pages {
		kids[i] = fmt.Sprintf("%d 0 R", 6+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
	obj("<< /Title " + pdfString(title) + " /Producer (OpenCRS) >>")
	for i, p := range pages {
		var c bytes.Buffer
		for _, l := range p {
			font := "F1"
			if l.bold {
				font = "F2"
			}
			fmt.Fprintf(&c, "BT /%s %.1f Tf %.1f %.1f Td %s Tj ET\n", font, l.size, pdfMargin, l.y, pdfString(l.text))
		}
		fmt.Fprintf(&c, "BT /F1 8.0 Tf %.1f %.1f Td %s Tj ET\n", pdfMargin, pdfMargin/2, pdfString(fmt.Sprintf("%s · page %d of %d", title, i+1, len(pages))))
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.0f %.0f] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>",
			pdfWidth, pdfHeight, 7+2*i))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", c.Len(), c.String()))
	}
	xref := buf.Len()
	fmt.Fprintf(&buf, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, o := range offsets {
		fmt.Fprintf(&buf, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	_, err := w.Write(buf.Bytes())
	return err
}

// pdfString writes s as a PDF literal string in WinAnsi (Latin-1) bytes,
// escaping what PDF needs escaped.
func pdfString(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '·':
			b.WriteByte(0xb7)
		case r == '–' || r == '—':
			b.WriteByte('-')
		case r == '‘' || r == '’':
			b.WriteByte('\'')
		case r < 32:
			b.WriteByte(' ')
		case r < 128:
			b.WriteRune(r)
		case r < 256:
			b.WriteByte(byte(r))
		default:
			b.WriteByte('?')
		}
	}
	b.WriteByte(')')
	return b.String()
}

// wrapText breaks a paragraph into lines that fit the text width, by the
// average widths of Helvetica's characters (bold is wider).
func wrapText(s string, size float64, bold bool) []string {
	per := 0.5
	if bold {
		per = 0.55
	}
	max := int((pdfWidth - 2*pdfMargin) / (size * per))
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	line := ""
	for _, w := range words {
		for len([]rune(w)) > max { // a word longer than a line is cut
			if line != "" {
				lines, line = append(lines, line), ""
			}
			lines, w = append(lines, string([]rune(w)[:max])), string([]rune(w)[max:])
		}
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= max:
			line += " " + w
		default:
			lines, line = append(lines, line), w
		}
	}
	return append(lines, line)
}
