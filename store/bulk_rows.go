package store

import (
	"context"
	"math/bits"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
)

// Rows written in bulk.
//
// A command that writes many rows of a table at once (the resources of a
// transaction Bundle with their versions and search index rows, a batch
// of the legacy import) writes them with insertRows, in the statements
// each engine takes fastest.
//
// SQLite takes a multi-row INSERT OR FAIL (dialect.bulkInsert) of as
// many rows as the parameters allow, and what is left in statements of
// halving sizes, each size prepared once by the committer's cache.
//
// PostgreSQL takes one statement a table, whatever the number of rows
// past exactRows:
//
//	INSERT INTO t (a, b) SELECT unnest($1::text[]), unnest($2::integer[])
//
// one array a column, each of the column's own type (arrayInsertSQL).
// Its text is the same for a row or for thousands, so the driver
// prepares it once a connection and every bulk binds a parameter a
// column. A multi-row VALUES bound a parameter a value (the search index
// rows of a Synthea Bundle were 28,000 of them) in statements whose text
// changed with the number of rows, each size parsed and planned apart.
// The arrays are unnested in the select list, where the rows come one
// at a time; FROM unnest(...) gathers them all first. The server's CPU
// a row, writing 2,610 search index rows a transaction into a table
// indexed as fhir_index is: VALUES 8.0-8.4 us, FROM unnest 7.8-8.1 us,
// the select list 7.0-7.2 us, COPY 6.8-7.2 us (but COPY cannot go with
// the commit in one batch, see pg_pipeline.go). Up to exactRows rows (a
// single resource's versions and search rows, a transaction's patient)
// are a multi-row VALUES, as on SQLite, each size a text of its own:
// the driver encodes an array a column by reflection, which for a row
// or two cost crs more than the statement saved (Patient+Observation
// transactions 374-444 against 317-368 us of crs's CPU each).

// exactRows is the most rows insertRows writes on SQLite as one
// statement of their own size: each size is a statement of its own in
// the cache (maxCachedStatements), so a table has 8 small sizes and the
// powers of two above.
const exactRows = 8

// insertRows writes rows of ncols values each, laid out one after another
// in args, with INSERTs ended by suffix (such as ON CONFLICT DO NOTHING).
// On SQLite, statements hold as many rows as maxParams allows; what is
// left is written in statements of halving sizes (512, 256, ... rows), so
// that every statement comes from a handful of sizes, each prepared once
// through the statement cache and reused by every command of a load. Up
// to exactRows rows are one statement of their number (a resource's
// index rows, 5 or 7, are one statement, not 4+1 or 4+2+1). On
// PostgreSQL the rows are one statement of a parameter a column.
func insertRows(tx *Tx, table, cols string, ncols int, args []any, suffix string) error {
	return insertRowsIn(tx.ctx, tx, table, cols, ncols, args, suffix)
}

// insertRowsIn is insertRows with the statements run in ctx: one marked
// deferrable (Tx.deferrable) lets them go with the command's next
// statement or its commit, for rows whose insert the command reads
// nothing of.
func insertRowsIn(ctx context.Context, tx *Tx, table, cols string, ncols int, args []any, suffix string) error {
	if len(args) == 0 {
		return nil
	}
	pg := tx.db.dialect.name == "postgres"
	if pg && len(args)/ncols > exactRows {
		return insertArrays(ctx, tx, table, cols, ncols, args, suffix)
	}
	verb := tx.db.dialect.bulkInsert()
	if suffix != "" {
		verb = "INSERT INTO " // an upsert decides its own conflicts
	}
	per := maxParams / ncols
	for len(args) > 0 {
		n := min(per, len(args)/ncols)
		if n < per && n > exactRows {
			n = 1 << (bits.Len(uint(n)) - 1) // the largest power of two not above it
		}
		q := verb + table + ` (` + cols + `) VALUES ` + placeholderRows(n, ncols, 1, !pg) + suffix
		if _, err := tx.exec(ctx, q, args[:n*ncols]...); err != nil {
			return err
		}
		args = args[n*ncols:]
	}
	return nil
}

// insertArrays writes the rows on PostgreSQL as one statement, its
// parameters the columns: each an array of the column's values, in the
// order of the rows.
func insertArrays(ctx context.Context, tx *Tx, table, cols string, ncols int, args []any, suffix string) error {
	q, err := tx.arrayInsertSQL(ctx, table, cols, suffix)
	if err != nil {
		return err
	}
	rows := len(args) / ncols
	values := make([]any, rows*ncols)
	columns := make([]any, ncols)
	for c := range columns {
		column := values[c*rows : (c+1)*rows : (c+1)*rows]
		for r := range column {
			column[r] = args[r*ncols+c]
		}
		columns[c] = column
	}
	_, err = tx.exec(ctx, q, columns...)
	return err
}

// arrayInsertSQL is insertArrays' statement for the columns of table,
// ended by suffix. Each array is of its column's own type, read from the
// catalogue once a table, so that a value is taken as the column takes
// it in a VALUES list: a NULL as NULL, a number or a text as the
// column's type.
func (tx *Tx) arrayInsertSQL(ctx context.Context, table, cols, suffix string) (string, error) {
	key := table + "\x00" + cols + "\x00" + suffix
	if q, ok := tx.db.arrayInserts.Load(key); ok {
		return q.(string), nil
	}
	types := map[string]string{}
	if err := eachRow(ctx, tx, func(r scanner) error {
		var name, typ string
		err := r.Scan(&name, &typ)
		types[name] = typ
		return err
	}, `SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table); err != nil {
		return "", crs.Errorf(crs.EINTERNAL, "read the columns of %s: %w", table, err)
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + cols + ") SELECT ")
	for i, col := range strings.Split(cols, ",") {
		typ, ok := types[strings.TrimSpace(col)]
		if !ok {
			return "", crs.Errorf(crs.EINTERNAL, "%s has no column %q", table, strings.TrimSpace(col))
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("unnest($" + strconv.Itoa(i+1) + "::" + typ + "[])")
	}
	sb.WriteString(suffix)
	q := sb.String()
	tx.db.arrayInserts.Store(key, q)
	return q, nil
}
