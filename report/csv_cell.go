package report

import (
	"encoding/csv"
	"io"
	"strings"
)

// Every CSV OpenCRS writes (the PTL and waiting list extracts, the
// statutory returns, the data quality report) goes through csvWriter, so
// that a cell a spreadsheet would run as a formula (one that begins with
// =, +, -, @, a tab or a carriage return: a name, a referral's comment or
// a code typed as =HYPERLINK(...)) is written as text, with a leading
// apostrophe, as OWASP advises against CSV injection. A plain number,
// negative ones included, is left as it is: it is no formula.

// csvWriter is a csv.Writer whose cells are safe to open in a
// spreadsheet.
type csvWriter struct {
	w   *csv.Writer
	rec []string
}

// newCSVWriter returns a writer of safe CSV to w.
func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{w: csv.NewWriter(w)} }

// Write writes one record, each cell made safe with SafeCell.
func (c *csvWriter) Write(rec []string) error {
	c.rec = c.rec[:0]
	for _, v := range rec {
		c.rec = append(c.rec, SafeCell(v))
	}
	return c.w.Write(c.rec)
}

// Flush writes out what is buffered.
func (c *csvWriter) Flush() { c.w.Flush() }

// Error is the error of an earlier Write or Flush.
func (c *csvWriter) Error() error { return c.w.Error() }

// plainNumber says whether s is a number a spreadsheet reads as a
// number: an optional sign, digits, and optionally a point and digits.
func plainNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole, frac, point := strings.Cut(s, ".")
	return digits(whole) && (!point || digits(frac))
}

// digits says whether s is one or more of 0-9.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// SafeCell returns a CSV cell a spreadsheet will show as text rather than
// run: a cell beginning with =, +, -, @, a tab or a carriage return
// gets a leading apostrophe, unless it is a plain number.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if plainNumber(s) {
			return s
		}
		return "'" + s
	}
	return s
}
