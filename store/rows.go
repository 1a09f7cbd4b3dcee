package store

import "context"

// scanner is one row of an answer: a *sql.Row or the current row of
// *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryRows runs a query and reads each row of its answer with scan, in
// the order of the answer. Every list the store reads goes through it.
func queryRows[T any](ctx context.Context, q Querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := eachRow(ctx, q, func(r scanner) error {
		v, err := scan(r)
		out = append(out, v)
		return err
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachRow runs a query and hands each row of its answer to fn as it is
// read, for answers too long to hold: an export streams through it. It
// stops at fn's first error and returns it.
func eachRow(ctx context.Context, q Querier, fn func(scanner) error, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanString reads a row of one text column, such as an id.
func scanString(r scanner) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}
