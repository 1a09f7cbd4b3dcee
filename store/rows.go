package store

import "context"

// scanner is one row of an answer: a *sql.Row or the current row of
// *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryRows runs a query and reads each row of its answer with scan, in
// the order of the answer. Every list the store reads goes through it.
func queryRows[T any](ctx context.Context, q Querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanString reads a row of one text column, such as an id.
func scanString(r scanner) (string, error) {
	var s string
	err := r.Scan(&s)
	return s, err
}
