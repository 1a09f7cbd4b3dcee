// Package store keeps OpenCRS's data in SQL: SQLite embedded by default,
// PostgreSQL in production, with the same SQL and the same tests. It
// implements the service interfaces of package crs, and holds the one
// write path every change goes through.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencrs/crs"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is an open OpenCRS database.
type DB struct {
	dialect dialect
	write   *sql.DB   // the connection the committer writes through
	read    *readPool // connections for reads; the same pool on PostgreSQL
	numbers *sql.DB   // PostgreSQL: the connections the counters move on (allocate); nil on SQLite
	Clock   crs.Clock
	Logger  *slog.Logger

	jobs     chan *job
	auditBuf chan *crs.AuditRecord
	// auditFull tells SQLite's committer, lingering, that the queue of
	// audit records holds a full batch (see linger).
	auditFull chan struct{}
	// auditFlush asks the audit writer of the pool to write the records
	// waiting and close the channel it is sent.
	auditFlush chan chan struct{}
	stop       chan struct{}
	done       chan struct{}
	// origin names this process's notices of its changes, on changes,
	// the database's channel of them; listenDone is closed when the
	// listener ends, and listening is told each time it listens
	// (PostgreSQL; pg_changes.go).
	origin, changes string
	listenDone      chan struct{}
	listening       chan struct{}
	// deaf says the process does not hear other processes' notices
	// now: the settings are then read afresh, not kept.
	deaf atomic.Bool
	// notices is the connection the notices of this process's changes
	// go on; noticeEvents and noticeSettings are what waits to go,
	// noticeWake wakes the sender, noticeDone is closed when it ends.
	notices        *sql.DB
	noticeMu       sync.Mutex
	noticeEvents   [][4]string
	noticeSettings bool
	noticeWake     chan struct{}
	noticeDone     chan struct{}
	// chainWake wakes the chainer of the pool (audit_chainer.go), which
	// closes chainDone when it ends; chainMu makes it one at a time.
	chainWake chan struct{}
	chainDone chan struct{}
	chainMu   sync.Mutex
	closing   sync.Once

	// The committer's own state, touched by no other goroutine.
	prepared      map[string]*sql.Stmt // statements prepared on the write pool, by SQL text
	toPrepare     []string             // statements the current batch met for the first time
	settingsDirty bool                 // a command of the batch changed the interface settings
	held          *job                 // a command gathered for the next batch (see gather)
	noForeignKeys bool                 // SQLite's foreign key checks are off on the write connection (see setForeignKeys)

	// failRate is the share of the commands of recent batches that
	// failed (see savepointsAt).
	failRate float64

	settings settingsCache // interface settings every message asks about
	// rids is the block of resource numbers PostgreSQL's writers take
	// from (newRIDs).
	rids struct {
		mu        sync.Mutex
		next, end int64
	}
	orgsMu sync.Mutex
	orgs   map[string]orgFixed // what never changes of a trust, by its id (orgFixed)

	// writing is held shared by each command on the pool (PostgreSQL) and
	// taken by Close, to wait for the commands in flight.
	writing sync.RWMutex

	// searchDeferred says a load has dropped the patient search indexes
	// and will build them when it ends (bulk_index.go).
	searchDeferred atomic.Bool
	// resourcesGrowth and patientsGrowth count the resources created and
	// the patients registered since the resource store's tables and the
	// patients table were last analysed on PostgreSQL (analyze.go).
	resourcesGrowth, patientsGrowth growth
	// arrayInserts holds PostgreSQL's statements of rows written in bulk,
	// by table, columns and ending (bulk_rows.go).
	arrayInserts sync.Map
	walPath      string         // SQLite's write-ahead log, synced by the syncer; "" on PostgreSQL
	toSync       chan committed // batches committed, waiting for the syncer
	// unsynced counts the batches committed and not yet synced; the
	// syncer signals syncIdle when it falls to nothing (nextWhileSyncing).
	unsynced atomic.Int64
	syncIdle chan struct{}
	commits  atomic.Int64 // transactions the committer has committed (Commits)
	timing   atomic.Pointer[func(WriteTiming)]
	// syncBatch makes the batches handed to the syncer durable: syncWAL,
	// but for tests that watch what waits on it.
	syncBatch func() error
	// checkpoints is the checkpointer's connection (checkpoint.go),
	// woken by checkpointWake, which closes checkpointDone when it ends;
	// loads counts the bulk loads under way, during which it rests.
	checkpoints    *sql.DB
	checkpointWake chan struct{}
	checkpointDone chan struct{}
	loads          atomic.Int32

	// loadNHS stands in for the NHS number index while a PMI load runs
	// without it (load_nhs.go); nil otherwise.
	loadNHS atomic.Pointer[heldNHS]

	hooksMu sync.RWMutex
	hooks   []crs.EventHook
	notify  []func(*crs.Event)
}

// Open opens (creating if need be) the database named by dsn
// ("sqlite:PATH" or "postgres://...") and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d, conn, err := parseDSN(dsn)
	if err != nil {
		return nil, crs.Errorf(crs.EINVALID, "%s", err)
	}
	db := &DB{
		dialect:    d,
		Clock:      crs.SystemClock{},
		Logger:     slog.Default(),
		jobs:       make(chan *job, 1024),
		auditBuf:   make(chan *crs.AuditRecord, 8192),
		auditFull:  make(chan struct{}, 1),
		auditFlush: make(chan chan struct{}),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
		chainWake:  make(chan struct{}, 1),
		chainDone:  make(chan struct{}),
		prepared:   map[string]*sql.Stmt{},
		orgs:       map[string]orgFixed{},
	}
	switch d.name {
	case "sqlite":
		if walBufErr != nil {
			return nil, walBufErr
		}
		if db.write, err = sql.Open(d.driver, sqliteDSN(conn, true)); err != nil {
			return nil, err
		}
		db.write.SetMaxOpenConns(1)
		db.write.SetMaxIdleConns(1)
		db.write.SetConnMaxLifetime(0)
		if err := db.migrate(ctx); err != nil {
			db.write.Close()
			return nil, err
		}
		if err := db.ensureSearchIndexes(ctx); err != nil {
			db.write.Close()
			return nil, err
		}
		rdb, err := sql.Open(d.driver, sqliteDSN(conn, false))
		if err != nil {
			db.write.Close()
			return nil, err
		}
		db.read = &readPool{DB: rdb, cache: true, stmts: map[string]*sql.Stmt{}}
		db.walPath, db.toSync, db.syncIdle = conn+"-wal", make(chan committed, 64), make(chan struct{}, 1)
		db.syncBatch = db.syncWAL
		db.read.SetMaxOpenConns(8)
		db.read.SetMaxIdleConns(8)
		if db.checkpoints, err = sql.Open(d.driver, sqliteCheckpointDSN(conn)); err != nil {
			db.read.Close()
			db.write.Close()
			return nil, err
		}
		db.checkpoints.SetMaxOpenConns(1)
		db.checkpoints.SetMaxIdleConns(1)
		db.checkpointWake, db.checkpointDone = make(chan struct{}, 1), make(chan struct{})
		go db.checkpointLoop(db.checkpoints, db.checkpointWake, db.checkpointDone)
	default:
		// The write pool's connections send BEGIN, COMMIT and the
		// statements a command does not read back with other statements
		// (pg_pipeline.go).
		connector, err := newPGConnector(conn)
		if err != nil {
			return nil, crs.Errorf(crs.EINVALID, "database: %s", err)
		}
		db.write = sql.OpenDB(connector)
		db.write.SetMaxOpenConns(16)
		db.write.SetMaxIdleConns(16)
		if err := db.write.PingContext(ctx); err != nil {
			db.write.Close()
			return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
		}
		if err := db.migrate(ctx); err != nil {
			db.write.Close()
			return nil, err
		}
		if err := db.ensureSearchIndexes(ctx); err != nil {
			db.write.Close()
			return nil, err
		}
		db.read = &readPool{DB: db.write}
		// Numbering's own connections (allocate): never the write pool's,
		// whose connections may all be held by commands that number.
		numbers, err := newPGNumberingConnector(conn)
		if err != nil {
			db.write.Close()
			return nil, crs.Errorf(crs.EINVALID, "database: %s", err)
		}
		db.numbers = sql.OpenDB(numbers)
		db.numbers.SetMaxOpenConns(2)
		db.numbers.SetMaxIdleConns(2)
		if err := db.startChanges(ctx, conn); err != nil {
			db.write.Close()
			db.numbers.Close()
			return nil, err
		}
	}
	if db.pooled() {
		go db.auditLoop()
		go db.chainLoop()
	} else {
		go db.commitLoop()
	}
	return db, nil
}

// Dialect names the database engine: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.name }

// Close finishes the writes in flight, writes the pending audit records
// and closes the database.
func (db *DB) Close() error {
	var err error
	db.closing.Do(func() {
		close(db.stop)
		<-db.done
		db.writing.Lock() // wait for the commands on the pool still in flight
		db.writing.Unlock()
		if db.pooled() {
			<-db.chainDone
			<-db.listenDone
			<-db.noticeDone
			db.sendQueuedNotices() // those of the commands that were in flight
			db.notices.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if cerr := db.chainCommitted(ctx); cerr != nil {
				db.Logger.Error("chain audit records", "err", cerr)
			}
			cancel()
		}
		if db.checkpoints != nil {
			<-db.checkpointDone
			db.checkpoints.Close()
		}
		if db.read.DB != db.write {
			db.read.Close()
		}
		if db.numbers != nil {
			db.numbers.Close()
		}
		err = db.write.Close()
	})
	return err
}

// migrate applies the embedded migrations not yet applied, in number
// order, each with its row of schema_migrations.
//
// On SQLite each is a transaction of its own. On PostgreSQL those
// between two that run Go code (migrationHooks) are sent together as one
// query of the simple protocol, which the server runs as one
// transaction: a schema is made in a few round trips, where a
// round trip a statement took most of the second each test's schema
// took (96 migrations, several hundred statements); a migration with a
// hook runs in a transaction of its own, its statements then its hook.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := db.write.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var batch strings.Builder // PostgreSQL: the migrations sent together
	var batched []string      // their names
	flush := func() error {
		if len(batched) == 0 {
			return nil
		}
		_, err := db.write.ExecContext(ctx, batch.String())
		if err != nil {
			err = fmt.Errorf("migrations %s to %s (applied together, none of them kept): %w", batched[0], batched[len(batched)-1], err)
		}
		batch.Reset()
		batched = batched[:0]
		return err
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", base)
		}
		if applied[num] {
			continue
		}
		text, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		stmts := splitStatements(db.dialect.migrationSQL(string(text)))
		now := formatTime(time.Now())
		if db.dialect.name == "postgres" && migrationHooks[num] == nil {
			if strings.ContainsAny(base, `'\`) {
				return fmt.Errorf("migration %s: a name may not hold a quote", base)
			}
			for _, stmt := range stmts {
				batch.WriteString(strings.TrimSuffix(stmt, ";") + ";\n")
			}
			fmt.Fprintf(&batch, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, '%s', '%s');\n", num, base, now)
			batched = append(batched, base)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		tx, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for i, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s, statement %d: %w", base, i+1, err)
			}
		}
		if hook := migrationHooks[num]; hook != nil {
			if err := hook(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w", base, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, num, base, now); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return flush()
}

// splitStatements splits a migration into statements at semicolons that
// end a line, dropping comment lines.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "--") || trim == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trim, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if strings.TrimSpace(cur.String()) != "" {
		out = append(out, cur.String())
	}
	return out
}

// timeLayout is how times are stored: fixed width, so text order is time
// order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// formatTime writes t in timeLayout, in UTC; the zero time is "". It
// writes the digits itself rather than have time.Format read the layout
// for every time: a command writes its time in half a dozen columns (the
// record's, its event's and audit record's, the message log's), all on
// SQLite's one writer.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(timeLayout)
	}
	hour, minute, sec := t.Clock()
	var b [len(timeLayout)]byte
	digits := func(at, n, width int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	digits(0, year, 4)
	b[4] = '-'
	digits(5, int(month), 2)
	b[7] = '-'
	digits(8, day, 2)
	b[10] = 'T'
	digits(11, hour, 2)
	b[13] = ':'
	digits(14, minute, 2)
	b[16] = ':'
	digits(17, sec, 2)
	b[19] = '.'
	digits(20, t.Nanosecond()/1000, 6)
	b[26] = 'Z'
	return string(b[:])
}

// parseTime reads a stored time: timeLayout (read by hand when its
// fields are in range, as formatTime writes them), else RFC 3339; "" and
// what is neither are the zero time.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, ok := parseLayoutTime(s); ok {
		return t
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t
}

// parseLayoutTime reads s in timeLayout without time.Parse reading the
// layout, when every field is digits in its range; ok false leaves any
// other s to time.Parse.
func parseLayoutTime(s string) (t time.Time, ok bool) {
	if len(s) != len(timeLayout) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	num := func(at, width int) int {
		n := 0
		for _, c := range []byte(s[at : at+width]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec, micro := num(11, 2), num(14, 2), num(17, 2), num(20, 6)
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 || micro < 0 {
		return time.Time{}, false
	}
	if day > 28 && time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).Day() != day {
		return time.Time{}, false // no such day in the month
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, micro*1000, time.UTC), true
}

func formatDate(d crs.Date) string { return d.String() }

func parseDate(s string) crs.Date {
	if s == "" {
		return crs.Date{}
	}
	t, _ := time.Parse("2006-01-02", s)
	return crs.Date{Time: t}
}

// notFound turns sql.ErrNoRows into an ENOTFOUND error about what.
func notFound(err error, what string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return crs.Errorf(crs.ENOTFOUND, what, args...)
	}
	return err
}

// isUniqueViolation reports whether err is a unique-constraint failure on
// either engine.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "duplicate key value")
}
