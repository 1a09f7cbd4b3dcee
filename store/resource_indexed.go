package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/opencrs/crs"
)

// indexedMax is the most bytes of a value the search index keeps: of a
// token's code and system, of a string's text, of a reference's target.
// PostgreSQL refuses an index entry of more than 2,704 bytes (a third of
// a page), and a token's entry holds its code and its system: a note's
// 3,000 characters in a CodeableConcept's text, or a long name, made the
// resource's write fail there. A longer value is kept by its first
// indexedMax bytes, cut between two characters, on both engines alike,
// and a search looks for a value as it is kept: a search by the whole
// value or by its start finds it; one by a part of it past its first
// indexedMax bytes (:contains) does not.
const indexedMax = 1024

// indexedValue is s as the search index keeps it.
func indexedValue(s string) string {
	if len(s) <= indexedMax {
		return s
	}
	i := indexedMax
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// indexedRows is index with its values as the search index keeps them;
// index itself when none is longer than that.
func indexedRows(index []crs.ResourceIndexRow) []crs.ResourceIndexRow {
	long := func(x crs.ResourceIndexRow) bool {
		return len(x.System) > indexedMax || len(x.Code) > indexedMax || len(x.Text) > indexedMax
	}
	i := 0
	for i < len(index) && !long(index[i]) {
		i++
	}
	if i == len(index) {
		return index
	}
	out := make([]crs.ResourceIndexRow, len(index))
	for j, x := range index {
		x.System, x.Code, x.Text = indexedValue(x.System), indexedValue(x.Code), indexedValue(x.Text)
		out[j] = x
	}
	return out
}

// indexedQuery is q with the values its conditions look for as the
// search index keeps them, in its chains and reverse chains too.
func indexedQuery(q crs.ResourceQuery) crs.ResourceQuery {
	q.All, q.Not = indexedGroups(q.All), indexedGroups(q.Not)
	return q
}

// indexedGroups is groups with each condition's values as the index
// keeps them; a copy only where one changes.
func indexedGroups(groups [][]crs.ResourceCondition) [][]crs.ResourceCondition {
	var out [][]crs.ResourceCondition
	for g, group := range groups {
		copied := false
		for i, c := range group {
			d := indexedCondition(c)
			if d == nil {
				continue
			}
			if out == nil {
				out = slices.Clone(groups)
			}
			if !copied {
				out[g], copied = slices.Clone(group), true
			}
			out[g][i] = *d
		}
	}
	if out == nil {
		return groups
	}
	return out
}

// indexedCondition is c with its values as the index keeps them, or nil
// when it already is.
func indexedCondition(c crs.ResourceCondition) *crs.ResourceCondition {
	changed := false
	cut := func(s string) string {
		if len(s) > indexedMax {
			changed = true
			return indexedValue(s)
		}
		return s
	}
	c.Code, c.Text = cut(c.Code), cut(c.Text)
	if c.System != nil && len(*c.System) > indexedMax {
		s := cut(*c.System)
		c.System = &s
	}
	if c.Target != nil {
		t := indexedQuery(*c.Target)
		if !sameGroups(t.All, c.Target.All) || !sameGroups(t.Not, c.Target.Not) {
			changed, c.Target = true, &t
		}
	}
	if c.Has != nil {
		h := indexedQuery(*c.Has)
		if !sameGroups(h.All, c.Has.All) || !sameGroups(h.Not, c.Has.Not) {
			changed, c.Has = true, &h
		}
	}
	if !changed {
		return nil
	}
	return &c
}

// sameGroups reports whether a and b are the same slice (indexedGroups
// returns its argument when nothing changed).
func sameGroups(a, b [][]crs.ResourceCondition) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// cutLongIndexValues cuts each value of the search index longer than
// indexedMax bytes to what the index keeps of it now (indexedValue). A
// value of more than indexedMax bytes has more than indexedMax/4
// characters, which either engine's length() counts, so that finds every
// row that may need it; each is then measured in bytes.
func cutLongIndexValues(ctx context.Context, tx *sql.Tx) error {
	type row struct {
		rid                int64
		n                  int
		system, code, text string
	}
	rows, err := queryRows(ctx, tx, func(r scanner) (row, error) {
		var x row
		return x, r.Scan(&x.rid, &x.n, &x.system, &x.code, &x.text)
	}, `SELECT rid, n, system, code, text FROM fhir_index WHERE length(system) > $1 OR length(code) > $1 OR length(text) > $1`, indexedMax/4)
	if err != nil {
		return fmt.Errorf("find long values of the search index: %w", err)
	}
	for _, x := range rows {
		system, code, text := indexedValue(x.system), indexedValue(x.code), indexedValue(x.text)
		if system == x.system && code == x.code && text == x.text {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fhir_index SET system = $1, code = $2, text = $3 WHERE rid = $4 AND n = $5`,
			system, code, text, x.rid, x.n); err != nil {
			return fmt.Errorf("cut a long value of resource %d in the search index: %w", x.rid, err)
		}
	}
	return nil
}
