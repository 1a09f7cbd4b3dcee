package store

import (
	"context"
	"database/sql"
	"net/url"
	"time"
)

// On SQLite the write-ahead log is copied into the database file (a
// checkpoint) by a goroutine of its own, on a connection of its own, not
// by the committer.
//
// Left to SQLite, the connection that commits runs a checkpoint whenever
// its commit finds the log past 1,000 pages: the committer then synced
// the log, wrote every page changed since the last checkpoint into the
// database, one system call a page, and synced the database, while every
// command waited. The checkpointer does the same beside it: woken by the
// syncer, it runs a passive checkpoint (one that never waits for a
// writer or a reader, and copies what no reader still needs) about every
// checkpointPages pages of log, as SQLite's own does. A writer goes on
// appending to the log while it runs, and starts the log again from its
// beginning once a checkpoint has copied all of it.
//
// The write connection keeps SQLite's checkpoint as a backstop, at
// checkpointBackstop pages of log (64 MiB), should the checkpointer fall
// behind; a bulk load sets its own (bulkLoadPragmas), and the
// checkpointer leaves the log to it while the load runs.

// checkpointPages is how many pages of log the checkpointer lets gather
// between two checkpoints, as SQLite's own default does; it waits
// between checkpointMinWait and checkpointMaxWait for them, from the
// rate the log grew at since its last checkpoint.
const (
	checkpointPages   = 1000
	checkpointMinWait = 10 * time.Millisecond
	checkpointMaxWait = time.Second
)

// checkpointBackstop is the write connection's wal_autocheckpoint, in
// pages.
const checkpointBackstop = 16384

// sqliteCheckpointDSN is the DSN of the checkpointer's connection: it
// writes only the database file, from the log, and syncs both as a
// checkpoint does (synchronous NORMAL syncs the log before the copy and
// the database after it).
func sqliteCheckpointDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	return "file:" + path + "?" + q.Encode()
}

// checkpointLoop is the checkpointer: it checkpoints the log after a
// sync, about every checkpointPages pages of log, until the database
// closes.
func (db *DB) checkpointLoop(conn *sql.DB, wake <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	last, lastLogged := time.Now(), 0
	for {
		select {
		case <-wake:
		case <-db.stop:
			return
		}
		wait := checkpointMaxWait
		if db.loads.Load() == 0 {
			var busy, logged, copied int
			err := conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied)
			if err != nil {
				db.Logger.Error("checkpoint the write-ahead log", "err", err)
			}
			// The pages logged since the last checkpoint: the log is
			// started again from its beginning once wholly copied.
			grown := logged - lastLogged
			if logged < lastLogged {
				grown = logged
			}
			now := time.Now()
			if grown > 0 {
				wait = time.Duration(float64(now.Sub(last)) * checkpointPages / float64(grown))
			}
			wait = min(max(wait, checkpointMinWait), checkpointMaxWait)
			last, lastLogged = now, logged
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-db.stop:
			t.Stop()
			return
		}
	}
}

// wakeCheckpointer tells the checkpointer the log has grown; it does not
// wait.
func (db *DB) wakeCheckpointer() {
	select {
	case db.checkpointWake <- struct{}{}:
	default:
	}
}
