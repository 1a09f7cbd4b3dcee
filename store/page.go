package store

import (
	"context"
	"slices"
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

// eachPage reads the rows of query in the order k a page of size rows at
// a time and hands each page to fn, for lists too long to hold (a month's
// CDS extract): no statement stays open while fn works, so fn may query
// again. query ends with its conditions; args[low] is the lower bound
// (>=) of k's first column in them, raised at each page to the cursor's
// value so that each page's index range starts where the last ended.
// scan returns a row's value and its sort values.
func eachPage[T any](ctx context.Context, q Querier, k keyset, query string, args []any, low, size int,
	scan func(scanner) (T, []string, error), fn func([]T) error) error {
	type keyed struct {
		v    T
		keys []string
	}
	args = slices.Clone(args)
	page := make([]T, 0, size)
	cursor := ""
	for {
		pargs := slices.Clone(args)
		cond, err := k.after(cursor, func(v any) string {
			pargs = append(pargs, v)
			return "$" + itoa(len(pargs))
		})
		if err != nil {
			return err
		}
		rows, err := queryRows(ctx, q, func(r scanner) (keyed, error) {
			v, keys, err := scan(r)
			return keyed{v, keys}, err
		}, query+cond+k.orderBy()+" LIMIT "+itoa(size+1), pargs...)
		if err != nil {
			return err
		}
		rows, cursor = pageOf(rows, size, func(r keyed) []string { return r.keys })
		page = page[:0]
		for _, r := range rows {
			page = append(page, r.v)
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if cursor == "" {
			return nil
		}
		args[low] = rows[len(rows)-1].keys[0]
	}
}
