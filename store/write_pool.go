package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/opencrs/crs"
)

// On PostgreSQL every command is a transaction of its own on the
// connection pool, committed on its own: many commands run at once, and
// PostgreSQL's group commit shares one flush of its write-ahead log among
// the commits that arrive together. synchronous_commit is left on, so a
// commit returns only once its change is on disk and a command is
// answered only after that. SQLite, with one writer, keeps the committer
// of write.go.
//
// What the committer gives each command, the pool gives it too: the
// access check and the audit of a refusal (in Write), one transaction
// per command so its error rolls back it alone, a panic answered as
// EINTERNAL, a command that appended no event refused, and the OnCommit
// listeners told of its events only after its commit. A command that
// meets a serialization failure or a deadlock (SQLSTATE 40001, 40P01)
// is run again from the start, up to maxAttempts times in all; so is one
// that loses a race to insert a unique key another command committed
// first (23505), so that its own check, a read before the insert, now
// finds the row and answers as it would have had the other command
// come first. A command's inserts go with its commit (pg_pipeline.go),
// so the key is often found taken only there, and a run again may lose
// a second race, for another key or the next version of the same
// resource: it is run again while each clash is new, up to maxAttempts
// runs. A clash of the same key twice in a row, which the run again did
// not answer, or one still met at the last run is answered ECONFLICT,
// naming the key (write_clash.go), never as a fault of the server. A
// command that finds a resource it read written since by another, or
// a patient registered since it looked the NHS number up, is run again
// the same way, to write after it (write_clash.go).
//
// Read-audit records (DB.Audit) are not written by the commands: the
// audit writer gathers them and writes them in transactions of its own,
// so a read never waits on a commit. Close writes those still waiting.

// maxAttempts is how many times a command is run at most when PostgreSQL
// asks for it to be run again.
const maxAttempts = 5

// pooled reports whether commands run concurrently on the connection
// pool (PostgreSQL) rather than through the committer (SQLite).
func (db *DB) pooled() bool { return db.dialect.name == "postgres" }

// writePooled applies one command in a transaction of its own, once the
// actor is known to be allowed to.
func (db *DB) writePooled(ctx context.Context, a crs.Actor, fn func(crs.Tx) error) error {
	db.writing.RLock()
	defer db.writing.RUnlock()
	select {
	case <-db.stop:
		return crs.Errorf(crs.EINTERNAL, "the database is closing")
	default:
	}
	var clashed *pgconn.PgError // the key the last run found taken
	var overtaken string        // what the last run found written since its look-up
	var contended string        // the resource the last run lost a race to write
	for attempt := 1; ; attempt++ {
		t, err := db.runPooled(ctx, a, fn, attempt > 1, contended)
		if err == nil {
			db.wakeChainer()
			db.resourcesCreated(t.created)
			db.patientsRegistered(t.registered)
			db.tell(t.events)
			db.noticeChanges(t)
			db.afterClinicalWrites(ctx, a, t.refusals, t.related, true)
			return nil
		}
		clash := keyClash(err)
		switch {
		case attempt < maxAttempts && isRetryable(err):
		case attempt < maxAttempts && clash != nil && !sameKey(clash, clashed):
			clashed, contended = clash, clashResource(clash)
		case attempt < maxAttempts && t != nil && t.overtaken != "" && t.overtaken != overtaken:
			overtaken, contended = t.overtaken, t.overtakenResource
		default:
			if clash != nil {
				err = clashError(clash)
			}
			if t != nil {
				db.afterClinicalWrites(ctx, a, t.refusals, nil, false)
			}
			return err
		}
		// Let the transaction that won go first.
		select {
		case <-time.After(time.Duration(attempt) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// runPooled runs fn once in a new transaction and commits it, returning
// the command's Tx (its events, its clinical writes let through and
// refused); nil when no transaction began. again says an earlier run
// of the command failed; contended names the resource it lost a race
// to write, if that is why.
func (db *DB) runPooled(ctx context.Context, a crs.Actor, fn func(crs.Tx) error, again bool, contended string) (_ *Tx, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The transaction is not tied to ctx: a caller gone while its commit
	// is under way must not leave the outcome unknown to the server.
	tx, err := db.write.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "begin transaction: %w", err)
	}
	// The command's events and audit records wait in its append buffer
	// until just before its commit (or a statement that reads them), and
	// are then written one statement a pair; the audit records unchained,
	// for the chainer to chain after the commit (audit_chainer.go).
	t := &Tx{Tx: tx, db: db, ctx: ctx, actor: a, now: db.Clock.Now().UTC(), buf: &appendBuffer{}, again: again, contended: contended}
	defer func() {
		if p := recover(); p != nil {
			db.Logger.Error("command panicked", "panic", fmt.Sprint(p))
			err = crs.Errorf(crs.EINTERNAL, "the change could not be applied")
		}
		if err != nil {
			_ = tx.Rollback()
		}
		if t.settingsChanged {
			// The change to the settings is committed or rolled back:
			// forget what was read while it was under way.
			db.settings.forget()
		}
	}()
	if err = fn(t); err != nil {
		return t, err
	}
	if len(t.events) == 0 {
		return t, crs.Errorf(crs.EINTERNAL, "a command changed the record without appending an event")
	}
	if err = t.buf.flush(t); err != nil {
		return t, err
	}
	if err = tx.Commit(); err != nil {
		return t, crs.Errorf(crs.EINTERNAL, "commit: %w", err)
	}
	return t, nil
}

// isRetryable reports whether PostgreSQL refused a transaction only for
// meeting another at the same time: a serialization failure or a
// deadlock, after which the command can be run again from the start.
func isRetryable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) {
		// The connection was found broken before anything of the
		// statement reached the server (pg_pipeline.go): nothing of the
		// command was applied.
		return true
	}
	s := err.Error()
	return strings.Contains(s, "SQLSTATE 40001") || strings.Contains(s, "SQLSTATE 40P01")
}

// Each statement is a round trip to PostgreSQL, which a command waits
// for while holding its locks: the write path's own statements are as
// few as they can be.

// eventColumnNames are the columns of an event, in eventArgs' order.
const eventColumnNames = `id, org_id, type, patient_id, subject_id, user_id, username, role, recorded_at, effective_at, summary, data`

const insertEventSQL = `INSERT INTO events (` + eventColumnNames + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

// appendEvent appends an event and rec, the audit record Emit made of it
// (same trust, actor, time and patient): in one statement on PostgreSQL,
// two on SQLite (which runs no data-modifying WITH, and has no round
// trips to save).
func appendEvent(tx *Tx, ev *crs.Event, rec *crs.AuditRecord) error {
	if tx.buf != nil {
		tx.buf.events = append(tx.buf.events, ev)
		tx.buf.audits = append(tx.buf.audits, rec)
		return nil
	}
	if tx.db.pooled() {
		return writeEventPooled(tx, ev, rec)
	}
	args := eventArgs(ev)
	if _, err := tx.Exec(insertEventSQL, args...); err != nil {
		return crs.Errorf(crs.EINTERNAL, "append event: %w", err)
	}
	if err := insertAudits(tx.ctx, tx, []*crs.AuditRecord{rec}, nil); err != nil {
		return crs.Errorf(crs.EINTERNAL, "append audit record: %w", err)
	}
	return nil
}

// writeEventPooled writes an event and its audit record, unchained (see
// audit_chainer.go), in one statement on PostgreSQL.
func writeEventPooled(tx *Tx, ev *crs.Event, rec *crs.AuditRecord) error {
	return writeEventsPooled(tx, []*crs.Event{ev}, []*crs.AuditRecord{rec})
}

// writeEventsPooled writes a command's events and their audit records
// (recs[i] that of events[i]), unchained (see audit_chainer.go), up to
// maxEventPairs pairs in one statement on PostgreSQL: a FHIR transaction
// of a Patient and an Observation writes its two pairs in one. A
// statement a pair cost PostgreSQL 58 us of CPU each; the statement's
// own share (its bind, its executor's start and end, each table's and
// index's opening) is paid once for all.
func writeEventsPooled(tx *Tx, events []*crs.Event, recs []*crs.AuditRecord) error {
	for len(events) > 0 {
		n := min(len(events), maxEventPairs)
		args := make([]any, 0, eventPairArgs*n)
		for i, ev := range events[:n] {
			args = append(append(args, eventArgs(ev)...), recs[i].ID, recs[i].Action, recs[i].What, recs[i].Purpose)
		}
		// The statement's outcome is read by no one: it goes with the
		// next statement or the commit (pg_pipeline.go).
		if _, err := tx.exec(tx.deferrable(context.Background()), eventPairsSQL[n], args...); err != nil {
			return crs.Errorf(crs.EINTERNAL, "append event: %w", err)
		}
		events, recs = events[n:], recs[n:]
	}
	return nil
}

// maxEventPairs is how many events with their audit records one
// statement writes at most, and eventPairArgs the arguments of a pair:
// the event's (eventArgs) and the audit record's id, action, what and
// purpose, the rest of the record being the event's.
const (
	maxEventPairs = 64
	eventPairArgs = 16
)

// eventPairsSQL writes n events and their audit records
// (writeEventsPooled's arguments) for n from 1 to maxEventPairs.
var eventPairsSQL = func() (q [maxEventPairs + 1]string) {
	for n := 1; n <= maxEventPairs; n++ {
		var events, audits strings.Builder
		for i := range n {
			p := func(k int) string { return "$" + itoa(eventPairArgs*i+k) }
			if i > 0 {
				events.WriteString(", ")
				audits.WriteString(", ")
			}
			events.WriteString("(")
			for k := 1; k <= 12; k++ {
				if k > 1 {
					events.WriteString(", ")
				}
				events.WriteString(p(k))
			}
			events.WriteString(")")
			// id, org_id, at, user_id, username, role, patient_id, action,
			// what, purpose, event_id: the event's trust, time, actor and
			// patient.
			audits.WriteString("(" + strings.Join([]string{p(13), p(2), p(9), p(6), p(7), p(8), p(4), p(14), p(15), p(16), p(1)}, ", ") + ", pg_current_xact_id())")
		}
		q[n] = `WITH e AS (INSERT INTO events (` + eventColumnNames + `) VALUES ` + events.String() + `)
		INSERT INTO audit (` + auditColumnNames + `, xid) VALUES ` + audits.String()
	}
	return q
}()

// deferrable returns ctx marked for a statement whose outcome the command
// does not read to go with the transaction's next statement or its
// commit (pg_pipeline.go): in a command on the pool, which commits, not
// in a dry run, whose rollback would drop it unsent.
func (tx *Tx) deferrable(ctx context.Context) context.Context {
	if tx.db.pooled() && tx.buf != nil {
		return deferredExec(ctx)
	}
	return ctx
}

// tell tells the OnCommit listeners the events of a committed command.
func (db *DB) tell(events []*crs.Event) {
	db.hooksMu.RLock()
	notify := db.notify
	db.hooksMu.RUnlock()
	for _, ev := range events {
		for _, f := range notify {
			f(ev)
		}
	}
}

// auditLoop is the audit writer of the pool: it writes the read-audit
// records waiting, in one transaction per gathering, until the database
// closes, and then those still waiting.
func (db *DB) auditLoop() {
	defer close(db.done)
	for {
		select {
		case r := <-db.auditBuf:
			flushed := db.awaitAudits()
			db.writeAudits(r)
			if flushed != nil {
				for db.writeAudits(nil) {
				}
				close(flushed)
			}
		case done := <-db.auditFlush:
			for db.writeAudits(nil) {
			}
			close(done)
		case <-db.stop:
			for db.writeAudits(nil) {
			}
			return
		}
	}
}

// awaitAudits waits, once the audit writer has a record, up to
// auditLinger for more to gather, as SQLite's committer does (linger),
// and stops early for a full batch, a flush (which it returns, to be
// answered once all is written) or the close. Without it the writer
// wrote each few records as they came, a transaction of five statements
// for every dozen reads at one client, and PostgreSQL's backends spent
// on them the processor the reads waited for.
func (db *DB) awaitAudits() (flushed chan struct{}) {
	if db.auditsGathered(0) {
		return nil
	}
	t := time.NewTimer(auditLinger)
	defer t.Stop()
	select {
	case <-db.auditFull:
	case <-t.C:
	case <-db.stop:
	case done := <-db.auditFlush:
		return done
	}
	return nil
}

// flushAudits waits until the audit records queued so far are written.
func (db *DB) flushAudits(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case db.auditFlush <- done:
	case <-db.stop:
		return crs.Errorf(crs.EINTERNAL, "the database is closing")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeAudits writes first (if any) and the audit records already
// waiting, up to a batch, in one transaction, and says whether there
// were any.
func (db *DB) writeAudits(first *crs.AuditRecord) bool {
	var rs []*crs.AuditRecord
	if first != nil {
		rs = append(rs, first)
	}
more:
	for len(rs) < 4*maxBatch {
		select {
		case r := <-db.auditBuf:
			rs = append(rs, r)
		default:
			break more
		}
	}
	if len(rs) == 0 {
		return false
	}
	tx, err := db.write.Begin()
	if err != nil {
		db.Logger.Error("write audit records", "records", len(rs), "err", err)
		return true
	}
	// The writer chains the records as it writes them: it locks its
	// trusts' heads, in trust order, only for its own short transaction,
	// which no command waits on (commands write theirs unchained, for the
	// chainer), and each record is written once rather than written and
	// then updated with its place in the chain. The records of accesses
	// go in blocks, a trust's in one link of its chain (audit_blocks.go);
	// those of changes and lists handed to it stay rows.
	if err := db.writeAuditsIn(context.Background(), tx, rs); err != nil {
		db.Logger.Error("write audit records", "records", len(rs), "err", err)
		_ = tx.Rollback()
		return true
	}
	if err := tx.Commit(); err != nil {
		db.Logger.Error("write audit records", "records", len(rs), "err", err)
	}
	return true // the records are chained as written: the chainer has nothing of them to do
}

// writeAuditsIn chains and writes the audit records rs in tx: the heads
// of all their trusts locked first, in trust order, then the rows, then
// the blocks.
func (db *DB) writeAuditsIn(ctx context.Context, tx *sql.Tx, rs []*crs.AuditRecord) error {
	heads := map[string]*auditHead{}
	if _, err := lockAuditHeads(ctx, tx, heads, rs); err != nil {
		return err
	}
	var rows, access []*crs.AuditRecord
	for _, r := range rs {
		if blockable(r) {
			access = append(access, r)
		} else {
			rows = append(rows, r)
		}
	}
	if len(rows) > 0 {
		if err := insertAudits(ctx, tx, rows, heads); err != nil {
			return err
		}
	}
	if len(access) > 0 {
		return writeBlocks(ctx, tx, db.dialect, access, heads)
	}
	return nil
}

// settingsCache remembers answers about a trust's interface settings
// that every message asks and that change rarely: the feeds an event may
// go to (see destinationsForEvent), an interface's code maps (mapCode),
// whether it has any message held (earlierHold) and the trust's wards and
// beds (estateWardBeds). Concurrent commands
// share it: an answer read before a change to the settings committed is
// never kept after it, for every change forgets the answers when it is
// made and again when it ends (see settingsChanged), and an answer is
// kept only if no change was made or ended while it was being read.
type settingsCache struct {
	mu  sync.Mutex
	gen uint64 // counts the forgettings
	m   map[string]any
}

// get returns the answer kept for key and the generation to put a new
// one under.
func (c *settingsCache) get(key string) (any, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, c.gen, ok
}

// put keeps the answer read since get returned gen, unless the settings
// changed meanwhile.
func (c *settingsCache) put(key string, gen uint64, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || len(c.m) >= 10000 {
		return
	}
	if c.m == nil {
		c.m = map[string]any{}
	}
	c.m[key] = v
}

// forget drops every answer kept.
func (c *settingsCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.gen++
}

// cachedSetting answers key from the settings cache, or reads it with
// read within the command and keeps the answer. A command that changed
// the settings reads its own, uncommitted, settings afresh and keeps
// nothing.
func cachedSetting[V any](tx *Tx, key string, read func() (V, bool, error)) (V, error) {
	if tx.db.deaf.Load() { // another process's change could not be heard of
		got, _, err := read()
		return got, err
	}
	v, gen, ok := tx.db.settings.get(key)
	if ok && !tx.settingsChanged {
		return v.(V), nil
	}
	got, keep, err := read()
	if err == nil && keep && !tx.settingsChanged {
		tx.db.settings.put(key, gen, got)
	}
	return got, err
}
