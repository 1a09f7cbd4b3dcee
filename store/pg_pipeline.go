package store

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Round trips on PostgreSQL.
//
// Each statement sent on its own is a round trip: the command waits for
// the server, and the server's backend wakes for it, which costs both
// sides more CPU than a short statement's work. Through database/sql the
// driver sends BEGIN and COMMIT as statements of their own too. The
// write pool's connections (pgConn) save three kinds of round trip,
// without changing what a transaction does or when it is answered:
//
//   - BEGIN is held back and sent together with the transaction's first
//     statement, in one batch;
//   - a statement whose outcome the command does not read (the event and
//     its audit record, the message log row), run with deferredExec, is
//     held back too and sent with the next statement, or with the COMMIT;
//   - COMMIT goes with the statements held back, in one batch.
//
// The statements of a batch run in order, in the transaction, as if sent
// one by one: a statement after one held back sees its rows. An error in
// a batch stops it there (PostgreSQL skips the rest) and is the error of
// the statement that carried the batch, or of the commit, which then
// rolls the transaction back; the command fails as it would have when
// the held-back statement failed on its own.

// A look-up the command makes first, before it has sent or held back
// anything, run with lookUpFirst, is sent without waiting for the BEGIN
// held back, which then goes with the transaction's next statement: the
// look-up is answered outside the transaction, just before it begins.
// At READ COMMITTED, PostgreSQL's default, every statement reads what is
// committed when it starts, in the transaction or out of it, so a plain
// SELECT that locks nothing reads the same either way (on a connection
// whose transactions are of another level, the look-up waits for its
// BEGIN as any other statement does); a transaction that goes on to write nothing sends no BEGIN
// at all. A FHIR transaction's or an inbound registration's check that
// no live patient holds the NHS number is such a look-up; so is a
// registration's that also takes the hospital number (onlyFirst), which
// goes there or not at all.
//
// deferredKey marks the context of a statement that may be held back.
type deferredKey struct{}

// deferredExec returns ctx marked so that a statement run with it on the
// write pool may be held back until the transaction's next statement or
// its commit: for a statement whose result the command does not use.
func deferredExec(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredKey{}, true)
}

func isDeferred(ctx context.Context) bool {
	d, _ := ctx.Value(deferredKey{}).(bool)
	return d
}

// firstKey marks the context of a look-up that may go before the BEGIN.
type firstKey struct{}

// lookUpFirst returns ctx marked so that a query run with it on the write
// pool as its transaction's first statement may be answered before the
// transaction's BEGIN is sent: for a plain SELECT that locks nothing.
func lookUpFirst(ctx context.Context) context.Context {
	return context.WithValue(ctx, firstKey{}, true)
}

func isLookUpFirst(ctx context.Context) bool {
	f, _ := ctx.Value(firstKey{}).(bool)
	return f
}

// onlyFirstKey marks the context of a look-up that may go before the
// BEGIN and must go nowhere else.
type onlyFirstKey struct{}

// errNotFirst is the error of a look-up marked with onlyFirst that can no
// longer go before its transaction's BEGIN: it was not sent, and the
// command asks otherwise.
var errNotFirst = errors.New("the look-up can no longer go before its transaction")

// onlyFirst returns ctx marked as lookUpFirst does, for a look-up that
// also writes, in a transaction of its own, and must therefore be sent
// before the command's transaction begins or not at all: run anywhere
// else on the write pool it fails with errNotFirst, unsent. A
// registration's look-up of the NHS number that takes the hospital
// number (nhsProbeTakeSQL) is one.
func onlyFirst(ctx context.Context) context.Context {
	return context.WithValue(lookUpFirst(ctx), onlyFirstKey{}, true)
}

func isOnlyFirst(ctx context.Context) bool {
	f, _ := ctx.Value(onlyFirstKey{}).(bool)
	return f
}

// pgConnector opens the write pool's connections.
type pgConnector struct{ driver.Connector }

// pgDial, when set, dials the write pool's connections (for tests that
// watch the traffic).
var pgDial pgconn.DialFunc

// newPGConnector returns the connector of the write pool for dsn.
func newPGConnector(dsn string) (driver.Connector, error) {
	cfg, err := pgConfig(dsn)
	if err != nil {
		return nil, err
	}
	return pgConnector{stdlib.GetConnector(*cfg)}, nil
}

// pgConfig is the connection settings of a DSN, dialled through pgDial
// when a test sets it.
func pgConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if pgDial != nil {
		cfg.DialFunc = pgDial
	}
	return cfg, nil
}

// newPGNumberingConnector connects numbering's own connections (see
// allocate), whose commits do not wait for the log to reach the disk
// (synchronous_commit off): a counter's move is in the log before the
// commit of any command that uses the number, and that command's commit
// waits for the log up to itself, so a number a durable change uses is
// never lost in a crash; only numbers no committed change used can be.
func newPGNumberingConnector(dsn string) (driver.Connector, error) {
	cfg, err := pgConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["synchronous_commit"] = "off"
	return stdlib.GetConnector(*cfg), nil
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(*stdlib.Conn)
	if !ok {
		return dc, nil
	}
	// A look-up goes before its transaction's BEGIN only where the
	// transaction would have read what the look-up reads (see above).
	var level string
	if err := sc.Conn().QueryRow(ctx, "SELECT current_setting('default_transaction_isolation')").Scan(&level); err != nil {
		sc.Close()
		return nil, err
	}
	return &pgConn{Conn: sc, readCommitted: level == "read committed"}, nil
}

// pgConn is a write pool connection that sends BEGIN, the statements held
// back and COMMIT with other statements (see above). database/sql uses a
// connection from one goroutine at a time.
type pgConn struct {
	*stdlib.Conn
	// tx says a transaction of the connection's own (pgTx) is open, and
	// begin that its BEGIN is not sent yet.
	tx, begin bool
	// held are the statements held back, not sent yet.
	held []heldStmt
	// readCommitted says the connection's transactions are READ
	// COMMITTED, so that a look-up may go before a BEGIN.
	readCommitted bool
}

// heldStmt is a statement held back and its arguments.
type heldStmt struct {
	query string
	args  []any
}

var (
	_ driver.ConnBeginTx    = (*pgConn)(nil)
	_ driver.ExecerContext  = (*pgConn)(nil)
	_ driver.QueryerContext = (*pgConn)(nil)
)

func (c *pgConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx begins a transaction of the default kind without a round trip:
// its BEGIN goes with its first statement. Any other kind begins at once.
func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.Isolation != driver.IsolationLevel(0) || opts.ReadOnly {
		return c.Conn.BeginTx(ctx, opts)
	}
	if c.Conn.Conn().IsClosed() {
		return nil, driver.ErrBadConn
	}
	c.tx, c.begin, c.held = true, true, c.held[:0]
	return &pgTx{c: c}, nil
}

// ExecContext runs a statement with what is held back before it, or
// holds it back when ctx allows and a transaction of its own is open.
func (c *pgConn) ExecContext(ctx context.Context, query string, nv []driver.NamedValue) (driver.Result, error) {
	hold := c.tx && isDeferred(ctx)
	if !c.begin && len(c.held) == 0 && !hold {
		return c.Conn.ExecContext(ctx, query, nv)
	}
	args := namedArgs(nv)
	if hold {
		c.held = append(c.held, heldStmt{query, args})
		return driver.ResultNoRows, nil
	}
	tags, err := c.send(ctx, heldStmt{query, args})
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tags[len(tags)-1].RowsAffected()), nil
}

// QueryContext sends what is held back, then runs the query; a look-up
// the transaction makes first with lookUpFirst goes before its BEGIN.
func (c *pgConn) QueryContext(ctx context.Context, query string, nv []driver.NamedValue) (driver.Rows, error) {
	if c.begin && len(c.held) == 0 && c.readCommitted && isLookUpFirst(ctx) {
		return c.Conn.QueryContext(ctx, query, nv)
	}
	if isOnlyFirst(ctx) {
		return nil, errNotFirst
	}
	if c.begin || len(c.held) > 0 {
		if _, err := c.send(ctx); err != nil {
			return nil, err
		}
	}
	return c.Conn.QueryContext(ctx, query, nv)
}

// send sends the BEGIN held back, the statements held back and then
// last, in one batch, and returns their command tags.
func (c *pgConn) send(ctx context.Context, last ...heldStmt) ([]pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	if c.begin {
		b.Queue("begin")
	}
	for _, s := range c.held {
		b.Queue(s.query, s.args...)
	}
	for _, s := range last {
		b.Queue(s.query, s.args...)
	}
	c.begin, c.held = false, c.held[:0]
	if b.Len() == 0 {
		return nil, nil
	}
	br := c.Conn.Conn().SendBatch(ctx, b)
	tags := make([]pgconn.CommandTag, 0, b.Len())
	var err error
	for i := 0; i < b.Len() && err == nil; i++ {
		var tag pgconn.CommandTag
		tag, err = br.Exec()
		tags = append(tags, tag)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if pgconn.SafeToRetry(err) {
			return nil, driver.ErrBadConn
		}
		return nil, err
	}
	return tags, nil
}

// pgTx is a transaction on a pgConn.
type pgTx struct{ c *pgConn }

// Commit sends what is held back and COMMIT in one batch; a transaction
// that sent nothing has nothing to commit.
func (t *pgTx) Commit() error {
	c := t.c
	c.tx = false
	if c.begin && len(c.held) == 0 {
		c.begin = false
		return nil
	}
	tags, err := c.send(context.Background(), heldStmt{query: "commit"})
	if err != nil {
		if !errors.Is(err, driver.ErrBadConn) && c.Conn.Conn().PgConn().TxStatus() != 'I' {
			_, _ = c.Conn.Conn().Exec(context.Background(), "rollback")
		}
		return err
	}
	if tags[len(tags)-1].String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback drops what is held back and rolls back what was sent.
func (t *pgTx) Rollback() error {
	c := t.c
	sent := !c.begin
	c.tx, c.begin, c.held = false, false, c.held[:0]
	if !sent || c.Conn.Conn().PgConn().TxStatus() == 'I' {
		return nil
	}
	_, err := c.Conn.Conn().Exec(context.Background(), "rollback")
	return err
}

// namedArgs is the arguments of a statement as pgx takes them.
func namedArgs(nv []driver.NamedValue) []any {
	args := make([]any, len(nv))
	for i, v := range nv {
		args[i] = v.Value
	}
	return args
}
