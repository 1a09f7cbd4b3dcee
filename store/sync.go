package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/opencrs/crs"
)

// On SQLite a commit's disk sync runs beside the next batch, not in it.
//
// The write connection runs with synchronous=NORMAL: a commit writes the
// batch's pages to the write-ahead log and returns without waiting for
// the disk, while SQLite still syncs the log before every checkpoint
// copies it into the database, syncs the database after, and syncs the
// log's header when it starts to reuse the file. The committer then hands
// the committed batch to the syncer and goes on to apply the next one; the
// syncer syncs the log file and only then answers the batch's commands and
// tells the OnCommit listeners (live boards, feed senders). One sync can
// cover several batches. So a command is acknowledged only once its change
// is on disk, exactly as with synchronous=FULL, but the disk's latency no
// longer stops the committer: while one batch waits for the disk, the
// next is being applied. The next stays open while the sync runs, taking
// in the commands that come meanwhile (see commit), and commits when the
// syncer is free: a commit before would have waited for that same sync.
//
// A change is visible to readers of the database from its commit, up to
// one disk sync before it is acknowledged; a process crash loses nothing
// committed (the operating system still holds the log), and a power cut
// in that window loses only changes nobody was told were made.

// committed is a batch committed and waiting for its disk sync.
type committed struct {
	batch []*job
	errs  []error
}

// syncLoop is the syncer: it syncs the write-ahead log for the batches
// committed since its last sync, then answers them.
func (db *DB) syncLoop(done chan<- struct{}) {
	defer close(done)
	for c := range db.toSync {
		cs := []committed{c}
	more:
		for {
			select {
			case c, ok := <-db.toSync:
				if !ok {
					break more
				}
				cs = append(cs, c)
			default:
				break more
			}
		}
		syncFrom := time.Now()
		err := db.syncBatch()
		synced := time.Now()
		if db.checkpointWake != nil {
			db.wakeCheckpointer()
		}
		if db.unsynced.Add(-int64(len(cs))) == 0 {
			select {
			case db.syncIdle <- struct{}{}:
			default:
			}
		}
		for _, c := range cs {
			for _, j := range c.batch {
				j.times.syncFrom, j.times.synced = syncFrom, synced
			}
			if err != nil {
				db.Logger.Error("sync the write-ahead log: committed changes may not survive a power cut", "err", err)
				for i := range c.errs {
					c.errs[i] = crs.Errorf(crs.EINTERNAL, "the change was committed but the disk did not confirm it was written: %v", err)
				}
			}
			db.reply(c.batch, c.errs)
		}
	}
}

// nextWhileSyncing is, while the syncer syncs batches committed before,
// the next command to add to the open batch (see commit): it waits for
// one until the syncer has synced every batch committed, and returns nil
// then, or when the database closes, or when the next command is a bulk
// load's (held for a batch of its own, see gather).
func (db *DB) nextWhileSyncing() *job {
	select {
	case <-db.syncIdle: // a stale signal: the count says
	default:
	}
	if db.unsynced.Load() == 0 {
		return nil
	}
	select {
	case j := <-db.jobs:
		if j.bulk {
			db.held = j
			return nil
		}
		return j
	case <-db.syncIdle:
	case <-db.stop:
	}
	return nil
}

// syncWAL syncs the write-ahead log file to disk. The file is opened for
// each sync, so the sync always reaches the log SQLite is writing even if
// it was ever removed and made anew.
func (db *DB) syncWAL() error {
	f, err := os.Open(db.walPath)
	if os.IsNotExist(err) {
		return nil // no log: every commit is already checkpointed into the database and synced
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// execDurable runs one statement outside the write path (the few writes
// that change no record: the log of a message tied to no trust, a feed's
// delivery state, sessions) and returns once it is on disk, as a commit
// of the committer is.
func (db *DB) execDurable(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.write.ExecContext(ctx, query, args...)
	if err != nil || db.walPath == "" {
		return res, err
	}
	if err := db.syncWAL(); err != nil {
		return nil, fmt.Errorf("sync the write-ahead log: %w", err)
	}
	return res, nil
}
