package store

import (
	"context"
	"database/sql"
)

// stmtCache holds the statements prepared in one batch transaction of
// the committer, by SQL text: a statement that every command of the batch
// runs is parsed by the database once per batch, not once per command.
// The statements belong to the transaction and close with it.
type stmtCache map[string]*sql.Stmt

// maxCachedStatements bounds a batch's cache; statements past it run
// unprepared.
const maxCachedStatements = 500

// stmt returns the batch's prepared statement for query, or nil to run it
// unprepared.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if tx.stmts == nil {
		return nil
	}
	if s, ok := tx.stmts[query]; ok {
		return s
	}
	if len(tx.stmts) >= maxCachedStatements {
		return nil
	}
	s, err := tx.Tx.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared path reports the error
	}
	tx.stmts[query] = s
	return s
}

// ExecContext runs a statement of the command through the statement cache.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// Exec runs a statement of the command through the statement cache.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(context.Background(), query, args...)
}

// QueryContext runs a query of the command through the statement cache.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// Query runs a query of the command through the statement cache.
func (tx *Tx) Query(query string, args ...any) (*sql.Rows, error) {
	return tx.QueryContext(context.Background(), query, args...)
}

// QueryRowContext runs a one-row query of the command through the
// statement cache.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, query, args...)
}

// QueryRow runs a one-row query of the command through the statement
// cache.
func (tx *Tx) QueryRow(query string, args ...any) *sql.Row {
	return tx.QueryRowContext(context.Background(), query, args...)
}
