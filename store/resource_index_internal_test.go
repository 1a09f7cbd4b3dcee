package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestIndexArgsRepeatedRows: a row a resource gives twice (one coding
// sent twice) is written once, and the rows written are numbered from 0
// without a gap, whether the resource has a few rows (compared in turn)
// or many (kept in a set); a number or quantity is never taken for a
// repeat.
func TestIndexArgsRepeatedRows(t *testing.T) {
	num := func(f float64) *float64 { return &f }
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	code := crs.ResourceIndexRow{Param: "code", System: "http://loinc.org", Code: "8867-4"}
	date := crs.ResourceIndexRow{Param: "date", Lo: at, Hi: at.Add(time.Second)}
	value := crs.ResourceIndexRow{Param: "value-quantity", System: "http://unitsofmeasure.org", Code: "/min", Num: num(60)}
	many := func(n int, then ...crs.ResourceIndexRow) []crs.ResourceIndexRow {
		var rows []crs.ResourceIndexRow
		for i := range n {
			rows = append(rows, crs.ResourceIndexRow{Param: "identifier", Code: fmt.Sprint(i)})
		}
		return append(rows, then...)
	}
	tests := []struct {
		name  string
		index []crs.ResourceIndexRow
		want  []string // the params of the rows written, in order
	}{
		{"none repeated", []crs.ResourceIndexRow{code, date, value}, []string{"code", "date", "value-quantity"}},
		{"a coding twice", []crs.ResourceIndexRow{code, date, code}, []string{"code", "date"}},
		{"a quantity twice", []crs.ResourceIndexRow{value, value}, []string{"value-quantity", "value-quantity"}},
		{"many rows, one repeated", many(indexRowsCompared+4, code, date, code), append(params(many(indexRowsCompared+4)), "code", "date")},
		{"as many rows as compared in turn, one repeated", many(indexRowsCompared-2, code, code), append(params(many(indexRowsCompared-2)), "code")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &crs.Resource{Type: "Observation", ID: "o1"}
			args := indexArgs(nil, 1, 1, r, tc.index)
			if len(args)%indexColumns != 0 {
				t.Fatalf("%d values, not rows of %d", len(args), indexColumns)
			}
			var got []string
			for i := 0; i < len(args); i += indexColumns {
				row := args[i : i+indexColumns]
				got = append(got, row[3].(string))
				if n := row[indexColumns-1].(int); n != i/indexColumns {
					t.Errorf("row %d numbered %d", i/indexColumns, n)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("rows written %v, want %v", got, tc.want)
			}
		})
	}
}

func params(rows []crs.ResourceIndexRow) []string {
	var ps []string
	for _, x := range rows {
		ps = append(ps, x.Param)
	}
	return ps
}

// BenchmarkIndexArgs is the values of an Observation's five index rows,
// which SQLite's one writer makes for every Observation it writes.
func BenchmarkIndexArgs(b *testing.B) {
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	v := 60.0
	index := []crs.ResourceIndexRow{
		{Param: "code", System: "http://loinc.org", Code: "8867-4"},
		{Param: "date", Lo: at, Hi: at.Add(time.Second)},
		{Param: "status", Code: "final"},
		{Param: "subject", System: "Patient", Code: "Patient/p1", Text: "p1"},
		{Param: "value-quantity", System: "http://unitsofmeasure.org", Code: "/min", Num: &v},
	}
	r := &crs.Resource{Type: "Observation", ID: "o1"}
	b.ReportAllocs()
	for b.Loop() {
		indexArgs(nil, 1, 1, r, index)
	}
}
