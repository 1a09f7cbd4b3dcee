package nhs

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"
)

// CSVLines reads the records of a trust's CSV file (a code list, a test
// catalogue), skipping blank lines, and hands each to fn with the line it
// starts on, for errors that say FILE:LINE. A line the reader cannot
// parse comes to fn as err, with no record. fn returns false to stop.
func CSVLines(cr *csv.Reader, fn func(rec []string, line int, err error) bool) {
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			if !fn(nil, line, err) {
				return
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if !fn(rec, line, nil) {
			return
		}
	}
}
