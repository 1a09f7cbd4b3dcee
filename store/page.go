package store

import (
	"strings"

	"github.com/opencrs/crs"
)

// Every paged list reads in keyset order: its rows sorted by a few
// columns ending in a unique id, a page at a time, each page starting
// after the last row of the one before, so rows added or removed
// meanwhile shift nothing and a deep page costs what the first does. The
// cursor of the next page is the sort values of the last row shown,
// joined by "|".

// keyset is the order of a paged list.
type keyset struct {
	keys []string // the sort columns, as SQL expressions; the last is a unique id
	desc bool     // highest first
}

// reversed is the same order turned round: a list read backwards from a
// cursor, to show the page before it.
func (k keyset) reversed() keyset { return keyset{keys: k.keys, desc: !k.desc} }

// after returns the condition (" AND ...") that keeps the rows after the
// cursor, its values added through arg, or "" for the first page.
func (k keyset) after(cursor string, arg func(any) string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	vals := strings.Split(cursor, "|")
	if len(vals) != len(k.keys) {
		return "", crs.FieldErrorf("cursor", "the page cursor is not valid")
	}
	cmp := " > "
	if k.desc {
		cmp = " < "
	}
	if len(vals) == 1 {
		return " AND " + k.keys[0] + cmp + arg(vals[0]), nil
	}
	ps := make([]string, len(vals))
	for i, v := range vals {
		ps[i] = arg(v)
	}
	return " AND (" + strings.Join(k.keys, ", ") + ")" + cmp + "(" + strings.Join(ps, ", ") + ")", nil
}

// orderBy returns the ORDER BY clause of the order.
func (k keyset) orderBy() string {
	dir := ""
	if k.desc {
		dir = " DESC"
	}
	return " ORDER BY " + strings.Join(k.keys, dir+", ") + dir
}

// pageOf cuts rows, read with a limit of limit+1, to the page and
// returns with it the cursor of the next page ("" when this is the last):
// the sort values of the page's last row.
func pageOf[T any](rows []T, limit int, sortValues func(T) []string) ([]T, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, strings.Join(sortValues(rows[limit-1]), "|")
}
