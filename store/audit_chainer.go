package store

import (
	"context"
	"time"

	"github.com/opencrs/crs"
)

// The audit chain on PostgreSQL.
//
// Were each command to chain its own audit records, it would hold its
// trust's chain head locked until its commit was on disk, and every
// command of the trust would commit one after another. Instead a command
// writes its records unchained, with xid, the id of its transaction, and
// the command is answered once they are committed, as before; the
// chainer then gives the committed records their places in the chain, in
// a short transaction of its own that locks the trust's head.
//
// The order must never change once chained, and no record may be passed
// over to be chained later behind records placed after it. Transaction
// ids are not commit order, so the chainer takes only the records of
// transactions below the oldest one still open (the xmin of its
// snapshot): those have all ended, and every record still to come
// belongs to a transaction at or above that xmin, so it goes after them
// all. Within a pass records are chained by xid, then id. The head's lock
// makes chainers of several processes take turns.
//
// The read-audit records queued to the audit writer (DB.Audit) need none
// of this: the writer is one goroutine whose short transactions no
// command waits on, so it chains them as it writes them, holding its
// trusts' heads until its commit, and the chainer takes its turn at the
// head's lock (see writeAudits).
//
// The chainer runs with the write pool, woken after each commit; Flush,
// Close and VerifyAuditChain first chain every record committed before
// they were called.

// chainBatch is how many records the chainer chains at most in one
// transaction.
const chainBatch = 1000

// wakeChainer tells the chainer records were committed.
func (db *DB) wakeChainer() {
	select {
	case db.chainWake <- struct{}{}:
	default:
	}
}

// chainLoop is the chainer of the pool: it chains what was committed
// whenever woken and, while records wait for a transaction still open,
// every few milliseconds, until the database closes.
func (db *DB) chainLoop() {
	defer close(db.chainDone)
	wait := time.Second
	for {
		select {
		case <-db.stop:
			return
		case <-db.chainWake:
		case <-time.After(wait):
		}
		left, err := db.chainAudits(context.Background())
		if err != nil {
			db.Logger.Error("chain audit records", "err", err)
		}
		wait = time.Second
		if left || err != nil {
			wait = 5 * time.Millisecond
			if err != nil {
				wait = 100 * time.Millisecond
			}
		}
	}
}

// chainAudits chains, trust by trust, the committed unchained records of
// transactions below the oldest open one, and says whether unchained
// records are left.
func (db *DB) chainAudits(ctx context.Context) (left bool, err error) {
	db.chainMu.Lock()
	defer db.chainMu.Unlock()
	orgs, err := queryRows(ctx, db.write, func(r scanner) (string, error) {
		var s string
		return s, r.Scan(&s)
	}, `SELECT DISTINCT org_id FROM audit WHERE seq IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())`)
	if err != nil {
		return false, crs.Errorf(crs.EINTERNAL, "find audit records to chain: %w", err)
	}
	for _, org := range orgs {
		for {
			n, err := db.chainTrust(ctx, org)
			if err != nil {
				return true, err
			}
			if n < chainBatch {
				break
			}
		}
	}
	if err := db.write.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit WHERE seq IS NULL AND xid IS NOT NULL)`).Scan(&left); err != nil {
		return true, crs.Errorf(crs.EINTERNAL, "find audit records to chain: %w", err)
	}
	return left, nil
}

// chainTrust chains up to chainBatch of a trust's committed unchained
// records in one transaction and says how many.
func (db *DB) chainTrust(ctx context.Context, org string) (int, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	h, err := lockAuditHead(ctx, tx, org)
	if err != nil {
		return 0, err
	}
	rs, err := queryRows(ctx, tx, scanAuditRow, `SELECT `+auditColumnNames+` FROM audit
		WHERE org_id = $1 AND seq IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY xid, id LIMIT `+itoa(chainBatch), org)
	if err != nil || len(rs) == 0 {
		return 0, err
	}
	cs, err := linkAudits(ctx, tx, rs, map[string]*auditHead{org: h})
	if err != nil {
		return 0, err
	}
	ids, seqs, prevs, hashes := make([]string, len(cs)), make([]int64, len(cs)), make([]string, len(cs)), make([]string, len(cs))
	for i, c := range cs {
		ids[i], seqs[i], prevs[i], hashes[i] = c.r.ID, c.seq, c.prev, c.hash
	}
	if _, err := tx.ExecContext(ctx, chainAuditsSQL, ids, seqs, prevs, hashes); err != nil {
		return 0, crs.Errorf(crs.EINTERNAL, "chain audit records: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, crs.Errorf(crs.EINTERNAL, "chain audit records: %w", err)
	}
	return len(cs), nil
}

// chainAuditsSQL gives the audit records of ids ($1) their places in
// the chain, each its seq, prev_hash and hash from the arrays $2 to $4.
// The records go as arrays, so that the statement is one, prepared once
// on each connection: a list of values in its text made it another
// statement for each number of records, parsed and planned again, 530 us
// of PostgreSQL's CPU each time. However PostgreSQL sees the table, it
// finds the records through an index: the unchained ones
// (audit_unchained, a few) or each by its key.
const chainAuditsSQL = `UPDATE audit a SET seq = v.seq, prev_hash = v.prev, hash = v.hash
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev, hash) WHERE a.id = v.id AND a.seq IS NULL`

// chainCommitted chains every audit record committed before it was
// called, waiting for the transactions still open then to end. On
// SQLite records are chained as they are written, and it does nothing.
func (db *DB) chainCommitted(ctx context.Context) error {
	if !db.pooled() {
		return nil
	}
	var upTo string
	if err := db.write.QueryRowContext(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text`).Scan(&upTo); err != nil {
		return crs.Errorf(crs.EINTERNAL, "chain audit records: %w", err)
	}
	for {
		if _, err := db.chainAudits(ctx); err != nil {
			return err
		}
		var waiting bool
		err := db.write.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit WHERE seq IS NULL AND xid < $1::xid8)`, upTo).Scan(&waiting)
		if err != nil {
			return crs.Errorf(crs.EINTERNAL, "chain audit records: %w", err)
		}
		if !waiting {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}
