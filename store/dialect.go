package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	msqlite "modernc.org/sqlite"       // SQLite driver "sqlite"

	"github.com/opencrs/crs"
)

// dialect holds everything that differs between SQLite and PostgreSQL.
// The SQL itself is shared: $n placeholders, ON CONFLICT, RETURNING and
// text times work on both.
type dialect struct {
	name   string // "sqlite" or "postgres"
	driver string // database/sql driver name
}

var (
	sqlite   = dialect{name: "sqlite", driver: "sqlite"}
	postgres = dialect{name: "postgres", driver: "pgx"}
)

// parseDSN reads "sqlite:PATH" (or a bare path ending .db) and
// "postgres://..." data source names.
func parseDSN(dsn string) (dialect, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlite, strings.TrimPrefix(dsn, "sqlite:"), nil
	case strings.HasSuffix(dsn, ".db"):
		return sqlite, dsn, nil
	}
	return dialect{}, "", fmt.Errorf("database %q: write sqlite:PATH or postgres://user@host/dbname", dsn)
}

// sqliteDSN turns a file path into the modernc.org/sqlite DSN with the
// pragmas OpenCRS relies on: WAL, durable commits (with the syncer, a
// change acknowledged survives power loss), foreign keys, and a busy
// timeout. Writes take the lock at BEGIN so two writers never deadlock on
// upgrade.
func sqliteDSN(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	// The write connection's commits do not wait for the disk: the syncer
	// syncs the log before any command is answered (see sync.go).
	if write {
		q.Add("_pragma", "synchronous(NORMAL)")
	} else {
		q.Add("_pragma", "synchronous(FULL)")
	}
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "cache_size(-65536)")
	if write {
		// The checkpointer copies the log into the database; the
		// committer only when it falls far behind (checkpoint.go).
		q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(checkpointBackstop)+")")
		q.Set("_txlock", "immediate")
		// Its log is written a transaction at a time (sqlite_walbuf.go).
		q.Set("vfs", walBufVFS)
		// Each command runs in a savepoint; its statement journal stays in
		// memory instead of a temporary file written for every command.
		q.Add("_pragma", "temp_store(2)")
	} else {
		q.Add("_pragma", "query_only(1)")
		// Reads of large lists (the PTL export) map the file rather than
		// copying each page through the page cache.
		q.Add("_pragma", "mmap_size(1073741824)")
	}
	return "file:" + path + "?" + q.Encode()
}

// bulkInsert is how a multi-row INSERT of a bulk load begins. On SQLite
// it is INSERT OR FAIL: a statement that stops at a conflict keeps the
// rows it wrote before it, so SQLite needs no statement journal of the
// pages it changes (for a big INSERT, a copy of every page); the command
// fails on the error and the whole command is undone, by its savepoint or
// its transaction. PostgreSQL keeps no such journal.
func (d dialect) bulkInsert() string {
	if d.name == "sqlite" {
		return "INSERT OR FAIL INTO "
	}
	return "INSERT INTO "
}

// migrationSQL adapts a migration's text to the dialect. Lines from
// "-- begin sqlite" to "-- end sqlite" (or postgres) apply to that
// dialect alone.
func (d dialect) migrationSQL(s string) string {
	if d.name == "postgres" {
		s = strings.ReplaceAll(s, " BLOB", " BYTEA")
	}
	var out []string
	keep := true
	for _, line := range strings.Split(s, "\n") {
		switch trim := strings.TrimSpace(line); {
		case strings.HasPrefix(trim, "-- begin "):
			keep = strings.TrimPrefix(trim, "-- begin ") == d.name
		case trim == "-- end sqlite" || trim == "-- end postgres":
			keep = true
		case keep:
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// isDatabaseError says whether err is, or wraps, an error of SQLite or of
// the connection to it, rather than a refusal of the command's own: after
// some (an I/O error, memory run out) SQLite has rolled the transaction
// back.
func isDatabaseError(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) || errors.Is(err, sql.ErrTxDone) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)
}

// blockRecords is the FROM item of the records of a block b of
// audit_blocks, a row r each: r.value the record's array, r.key its
// place in the block. PostgreSQL holds the text as written and reads it
// as jsonb.
func (d dialect) blockRecords() string {
	if d.name == "sqlite" {
		return "json_each(b.records) r"
	}
	return "jsonb_array_elements(b.records::jsonb) WITH ORDINALITY r(value, key)"
}

// insertBlock writes a block of trust org, its records' text and its
// index by patient and user: on SQLite the block and its entry in the
// full-text index audit_block_terms, on PostgreSQL the block with its
// arrays.
func (d dialect) insertBlock(ctx context.Context, exec func(context.Context, string, ...any) (sql.Result, error),
	org string, b auditBlock, text []byte, patients, users []string) error {
	if d.name != "sqlite" {
		_, err := exec(ctx, `INSERT INTO audit_blocks (org_id, seq, first_id, last_id, min_at, max_at, records, prev_hash, hash, patients, users)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, org, b.seq, b.firstID, b.lastID, b.minAt, b.maxAt, string(text), b.prev, b.hash, patients, users)
		return err
	}
	if _, err := exec(ctx, `INSERT INTO audit_blocks (org_id, seq, first_id, last_id, min_at, max_at, records, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, org, b.seq, b.firstID, b.lastID, b.minAt, b.maxAt, string(text), b.prev, b.hash); err != nil {
		return err
	}
	_, err := exec(ctx, `INSERT INTO audit_block_terms (rowid, t, n) VALUES (last_insert_rowid(), $1, last_insert_rowid())`, blockTerms(patients, users))
	return err
}

// blocksNaming is what reads, through the blocks' index by patient and
// user, the blocks b that hold records of any of vs as kind (p a
// patient, u a user's id or name): a FROM item naming b and the
// condition that picks them, its parameter appended to args. On SQLite
// the full-text index audit_block_terms is joined; on PostgreSQL a
// block's array (patients or users) overlaps vs, read through its GIN
// index.
func (d dialect) blocksNaming(args []any, kind byte, vs ...string) (from, cond string, _ []any) {
	if d.name == "sqlite" {
		args = append(args, termQuery(string(kind), vs...))
		return "audit_block_terms f JOIN audit_blocks b ON b.n = f.rowid", "audit_block_terms MATCH $" + itoa(len(args)), args
	}
	return "audit_blocks b", blockArray(kind) + " && $" + itoa(len(args)+1) + "::text[]", append(args, vs)
}

// blockNamedBy is a condition on a block b alone that it holds records
// of any of vs as kind, for a reader that walks the blocks in another
// index's order and keeps those the index by patient and user names.
func (d dialect) blockNamedBy(args []any, kind byte, vs ...string) (string, []any) {
	if d.name == "sqlite" {
		args = append(args, termQuery(string(kind), vs...))
		return "b.n IN (SELECT rowid FROM audit_block_terms WHERE audit_block_terms MATCH $" + itoa(len(args)) + ")", args
	}
	return blockArray(kind) + " && $" + itoa(len(args)+1) + "::text[]", append(args, vs)
}

// blockIndexed is what the check of the chain reads of a block's index
// by patient and user beside the block: on PostgreSQL its arrays as JSON
// text, checked against its records (chainBlock.check); on SQLite
// nothing, for the full-text index is counted whole (checkBlockIndex).
func (d dialect) blockIndexed() string {
	if d.name == "sqlite" {
		return "'', ''"
	}
	return "array_to_json(patients)::text, array_to_json(users)::text"
}

// blockArray is PostgreSQL's column of a block b that names its records'
// patients (kind p) or users (u).
func blockArray(kind byte) string {
	if kind == 'p' {
		return "b.patients"
	}
	return "b.users"
}

// ridBlock is how many resource numbers a PostgreSQL writer takes from
// the sequence fhir_rid at a time: its INCREMENT (migration 0140).
const ridBlock = 64

// newRIDs numbers n resources the command creates (fhir_current.rid,
// by which their search index rows name them). SQLite's one writer
// numbers them on from the greatest, read within its transaction;
// PostgreSQL's writers, many at once, take blocks of ridBlock numbers
// from the sequence, a number the database never gives twice, so that
// a resource costs a round trip to it once in ridBlock. A number of a
// command that fails is never used.
func (tx *Tx) newRIDs(n int) ([]int64, error) {
	rids := make([]int64, n)
	if tx.db.dialect.name == "sqlite" {
		var last int64
		if err := tx.QueryRow(`SELECT COALESCE(MAX(rid), 0) FROM fhir_current`).Scan(&last); err != nil {
			return nil, crs.Errorf(crs.EINTERNAL, "number resources: %w", err)
		}
		for i := range rids {
			rids[i] = last + 1 + int64(i)
		}
		return rids, nil
	}
	r := &tx.db.rids
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range rids {
		if r.next == r.end {
			if err := tx.QueryRow(`SELECT nextval('fhir_rid')`).Scan(&r.next); err != nil {
				return nil, crs.Errorf(crs.EINTERNAL, "number resources: %w", err)
			}
			r.end = r.next + ridBlock
		}
		rids[i] = r.next
		r.next++
	}
	return rids, nil
}
