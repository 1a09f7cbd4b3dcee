package store

import (
	"time"

	"github.com/opencrs/crs"
)

// WriteTiming is where one command's time went on SQLite's write path,
// from Write to its answer: what a slow acknowledgement or a slow form
// waited for. The stages follow one another and add up to Total.
type WriteTiming struct {
	Activity crs.Activity
	Batch    int // commands that shared the command's commit
	// Queued runs from Write to the start of the command's first run:
	// the batches committed before, and the commands of its own batch
	// run before it.
	Queued time.Duration
	// Run is the command itself (its last run, the one that committed;
	// Rerun the runs before it, undone when another of the batch failed).
	Run, Rerun time.Duration
	// Batched runs from the end of its run to the start of the batch's
	// commit: the commands of the batch run after it, and the batch kept
	// open while the syncer synced the batches before (see commit).
	Batched time.Duration
	// Commit is the writing of the batch's events and audit records and
	// the commit itself.
	Commit time.Duration
	// Synced runs from the commit to the end of the disk sync that made
	// it durable: the syncer still syncing batches before, then its own
	// sync, which took Fsync of it.
	Synced, Fsync time.Duration
	// Reply runs from the sync to Write's return: the answers to the
	// batch's commands before it, the OnCommit listeners, the waking of
	// the caller.
	Reply time.Duration
	Total time.Duration
}

// jobTimes are the moments a command passed on its way through the
// committer and the syncer (WriteTiming).
type jobTimes struct {
	queued, started, ranFrom, ran time.Time
	commitFrom, committed         time.Time
	syncFrom, synced              time.Time
	batch                         int
}

// TimeWrites has f told, on SQLite, where the time of every command
// went (WriteTiming), as the command returns; f must be quick and safe
// for concurrent use. nil stops it. For benchmarks and profiling.
func (db *DB) TimeWrites(f func(WriteTiming)) {
	if f == nil {
		db.timing.Store(nil)
		return
	}
	db.timing.Store(&f)
}

// timed tells the TimeWrites listener, if any, of a command answered.
func (db *DB) timed(j *job, err error) {
	f := db.timing.Load()
	if f == nil || err != nil || j.times.synced.IsZero() {
		return
	}
	t, now := &j.times, time.Now()
	(*f)(WriteTiming{
		Activity: j.activity, Batch: t.batch,
		Queued: t.started.Sub(t.queued), Rerun: t.ranFrom.Sub(t.started), Run: t.ran.Sub(t.ranFrom),
		Batched: t.commitFrom.Sub(t.ran), Commit: t.committed.Sub(t.commitFrom),
		Synced: t.synced.Sub(t.committed), Fsync: t.synced.Sub(t.syncFrom),
		Reply: now.Sub(t.synced), Total: now.Sub(t.queued),
	})
}
