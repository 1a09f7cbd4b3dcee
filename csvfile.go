package crs

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/opencrs/crs/nhs"
)

// readCSVFile reads a file a trust loads (its test catalogue, its note
// templates) as CSV (UTF-8) with a header line naming at least columns,
// in any order. It calls row for each line after the header with a
// getter of the line's columns (trimmed) and the line's number; every
// problem row returns, every line that is not CSV and every column the
// header lacks is reported as name:LINE: what is wrong, all at once.
func readCSVFile(r io.Reader, name string, columns []string, row func(get func(col string) string, line int) []string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return Errorf(EINVALID, "%s:1: cannot read the header: %v", name, err)
	}
	cols := map[string]int{}
	for i, h := range head {
		cols[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	var problems []string
	for _, c := range columns {
		if _, ok := cols[c]; !ok {
			problems = append(problems, fmt.Sprintf("%s:1: the header has no %q column (want %s)", name, c, strings.Join(columns, ",")))
		}
	}
	if len(problems) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(problems, "\n"))
	}
	nhs.CSVLines(cr, func(rec []string, line int, err error) bool {
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", name, line, err))
			return true
		}
		get := func(c string) string {
			if i, ok := cols[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		for _, p := range row(get, line) {
			problems = append(problems, fmt.Sprintf("%s:%d: %s", name, line, p))
		}
		return true
	})
	if len(problems) > 0 {
		return Errorf(EINVALID, "%s", strings.Join(problems, "\n"))
	}
	return nil
}

// fieldProblems lists what a Validate found, each as "field: message".
func fieldProblems(err error) []string {
	var es Errors
	if !errors.As(err, &es) {
		if f := ErrorField(err); f != "" {
			return []string{f + ": " + ErrorMessage(err)}
		}
		return []string{err.Error()}
	}
	out := make([]string, 0, len(es))
	for _, f := range es {
		out = append(out, f.Field+": "+f.Message)
	}
	return out
}
