package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache holds the statements of one batch transaction of the
// committer, by SQL text. They come from the database's prepared
// statements (DB.prepared), so a statement every command runs is parsed by
// the database once, not once per command or per batch; a statement met
// for the first time is prepared in the transaction and, after the batch,
// on the write pool for the batches that follow. The batch's statements
// belong to its transaction and close with it.
type stmtCache map[string]*sql.Stmt

// maxCachedStatements bounds a batch's cache and the database's prepared
// statements; statements past it run unprepared.
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
	var s *sql.Stmt
	if p := tx.db.prepared[query]; p != nil {
		s = tx.Tx.StmtContext(ctx, p)
	} else {
		var err error
		if s, err = tx.Tx.PrepareContext(ctx, query); err != nil {
			return nil // the unprepared path reports the error
		}
		if len(tx.db.prepared)+len(tx.db.toPrepare) < maxCachedStatements {
			tx.db.toPrepare = append(tx.db.toPrepare, query)
		}
	}
	tx.stmts[query] = s
	return s
}

// prepareNew prepares on the write pool the statements the last batch met
// for the first time. The committer calls it between batches, when the
// write connection is free.
func (db *DB) prepareNew() {
	for _, q := range db.toPrepare {
		if _, ok := db.prepared[q]; ok {
			continue
		}
		s, err := db.write.PrepareContext(context.Background(), q)
		if err != nil {
			continue // it stays unprepared: each batch prepares it in its transaction
		}
		db.prepared[q] = s
	}
	db.toPrepare = db.toPrepare[:0]
}

// ExecContext runs a statement of the command through the statement cache.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx.buf != nil && tx.buf.pending() && readsAppended(query) {
		if err := tx.buf.flush(tx); err != nil {
			return nil, err
		}
	}
	return tx.exec(ctx, query, args...)
}

// statementContext is the context a statement of the command runs in.
// On SQLite's committer (whose batch has a statement cache) it is never
// done: a command, once begun, runs to its end whatever becomes of the
// request that sent it (whose caller waits for the batch's outcome all
// the same), as it would were it not cut short, rather than fail half
// way and have its batch run again without it. A statement run with a
// context that can end costs the driver a goroutine to watch it and a
// progress handler on the connection, and database/sql a check before
// each step.
func (tx *Tx) statementContext(ctx context.Context) context.Context {
	if tx.stmts == nil || ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// exec runs a statement through the statement cache.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx.absentNHS, tx.lookedUp = "", nil // a write may change what the look-up found (see Tx.absentNHS)
	tx.wrote = true
	ctx = tx.statementContext(ctx)
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// PrepareContext prepares a statement in the command's transaction. The
// command is then taken to have written (Tx.wrote): what it runs through
// the statement is not seen.
func (tx *Tx) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	tx.wrote = true
	return tx.Tx.PrepareContext(ctx, query)
}

// Exec runs a statement of the command through the statement cache.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(context.Background(), query, args...)
}

// QueryContext runs a query of the command through the statement cache.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx.forgetLookUp(query)
	ctx = tx.statementContext(ctx)
	if tx.buf != nil && tx.buf.pending() && readsAppended(query) {
		if err := tx.buf.flush(tx); err != nil {
			return nil, err
		}
	}
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
	tx.forgetLookUp(query)
	ctx = tx.statementContext(ctx)
	if tx.buf != nil && tx.buf.pending() && readsAppended(query) {
		// A failed write of the buffer fails the batch's commit.
		_ = tx.buf.flush(tx)
	}
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

// readPool is the connections reads go through. On SQLite it keeps the
// statements it has run prepared, by SQL text, so a read every request
// makes (a patient by id, a page of a search) is parsed once per
// connection, not once per read; on PostgreSQL the driver keeps its own.
type readPool struct {
	*sql.DB
	cache bool

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// stmt returns the prepared statement of query, or nil to run it
// unprepared.
func (p *readPool) stmt(ctx context.Context, query string) *sql.Stmt {
	if !p.cache {
		return nil
	}
	p.mu.RLock()
	s, ok := p.stmts[query]
	p.mu.RUnlock()
	if ok {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.stmts[query]; ok {
		return s
	}
	if len(p.stmts) >= maxCachedStatements {
		return nil
	}
	s, err := p.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil // the unprepared path reports the error
	}
	p.stmts[query] = s
	return s
}

// QueryContext runs a read through the pool's prepared statements.
func (p *readPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a one-row read through the pool's prepared
// statements.
func (p *readPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, query, args...)
}

// forgetLookUp forgets what the command's last look-up found
// (Tx.absentNHS, Tx.lookedUp) before a query that may write, such as an
// UPDATE ... RETURNING, and marks the command as having written.
func (tx *Tx) forgetLookUp(query string) {
	if !strings.HasPrefix(query, "SELECT ") {
		tx.absentNHS, tx.lookedUp = "", nil
		tx.wrote = true
	}
}
