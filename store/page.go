package store

import (
	"context"
	"slices"
	"strconv"
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
// paramAdder returns a function that adds a value to args and gives its
// numbered parameter ($n), for queries built a condition at a time.
func paramAdder(args *[]any) func(any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
}

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
// CDS extract). The pages are read ahead, one page ahead of fn, so that
// the database reads the next page while fn works on this one; prepare,
// when not nil, completes each page where it is read (more queries, on
// the reading side only: fn must not query). query ends with its
// conditions; args[low] is the lower bound (>=) of k's first column in
// them, raised at each page to the cursor's value so that each page's
// index range starts where the last ended. scan returns a row's value
// and its sort values. fn's first error stops the reading and is
// returned.
func eachPage[T any](ctx context.Context, q Querier, k keyset, query string, args []any, low, size int,
	scan func(scanner) (T, []string, error), prepare, fn func([]T) error) error {
	type keyed struct {
		v    T
		keys []string
	}
	type read struct {
		page []T
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan read, 1)
	args = slices.Clone(args)
	go func() {
		defer close(pages)
		cursor := ""
		for {
			pargs := slices.Clone(args)
			cond, err := k.after(cursor, func(v any) string {
				pargs = append(pargs, v)
				return "$" + itoa(len(pargs))
			})
			var rows []keyed
			if err == nil {
				rows, err = queryRows(ctx, q, func(r scanner) (keyed, error) {
					v, keys, err := scan(r)
					return keyed{v, keys}, err
				}, query+cond+k.orderBy()+" LIMIT "+itoa(size+1), pargs...)
			}
			rows, cursor = pageOf(rows, size, func(r keyed) []string { return r.keys })
			page := make([]T, len(rows))
			for i, r := range rows {
				page[i] = r.v
			}
			if err == nil && prepare != nil && len(page) > 0 {
				err = prepare(page)
			}
			select {
			case pages <- read{page, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || cursor == "" {
				return
			}
			args[low] = rows[len(rows)-1].keys[0]
		}
	}()
	for r := range pages {
		err := r.err
		if err == nil && len(r.page) > 0 {
			err = fn(r.page)
		}
		if err != nil {
			cancel()
			for range pages { // the reader stops at the cancel
			}
			return err
		}
	}
	return nil
}

// page is what follows a list's WHERE to read the page after cursor: the
// condition past the cursor, the order and, unless limit is 0, the limit.
func (k keyset) page(cursor string, limit int, arg func(any) string) (string, error) {
	after, err := k.after(cursor, arg)
	if err != nil {
		return "", err
	}
	q := after + k.orderBy()
	if limit > 0 {
		q += ` LIMIT ` + arg(limit)
	}
	return q, nil
}
