package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestWriteTimingsAddUp checks what TimeWrites tells of the commands of
// one batch on SQLite: each command's stages are never negative and add
// up to its time from Write to its answer; the batch's size is told; the
// command that runs long counts it as its own run, and every other
// command of its batch as time waiting for it, before its own run or
// after it.
func TestWriteTimingsAddUp(t *testing.T) {
	db := openSQLite(t, "timing.db")
	a := crs.SystemActor("timing-test-trust")
	var mu sync.Mutex
	var got []WriteTiming
	db.TimeWrites(func(w WriteTiming) {
		mu.Lock()
		got = append(got, w)
		mu.Unlock()
	})
	const long = 30 * time.Millisecond
	var wg sync.WaitGroup
	release := holdCommitter(t, db, a, &wg)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Write(context.Background(), a, crs.ActManagePathways, func(tx crs.Tx) error {
				if i == 0 {
					time.Sleep(long)
				}
				return tx.(*Tx).Emit(&crs.Event{Type: "test", SubjectID: fmt.Sprint(i), Summary: "timing test"}, "timing test")
			})
			if err != nil {
				t.Errorf("command %d: %v", i, err)
			}
		}()
	}
	for db.Waiting() < 3 {
		time.Sleep(time.Millisecond)
	}
	release()
	wg.Wait()
	db.TimeWrites(nil)

	var batch []WriteTiming
	for _, w := range got {
		stages := []time.Duration{w.Queued, w.Rerun, w.Run, w.Batched, w.Commit, w.Synced, w.Fsync, w.Reply}
		sum := w.Queued + w.Rerun + w.Run + w.Batched + w.Commit + w.Synced + w.Reply
		for _, s := range stages {
			if s < 0 {
				t.Errorf("a stage is negative: %+v", w)
			}
		}
		if sum != w.Total {
			t.Errorf("stages add up to %s, want the total %s: %+v", sum, w.Total, w)
		}
		if w.Fsync > w.Synced {
			t.Errorf("fsync %s longer than the wait for it %s", w.Fsync, w.Synced)
		}
		if w.Activity == crs.ActManagePathways {
			batch = append(batch, w)
		}
	}
	if len(batch) != 3 {
		t.Fatalf("told of %d of the 3 commands: %+v", len(batch), got)
	}
	longRuns := 0
	for _, w := range batch {
		if w.Batch != 3 {
			t.Errorf("batch of %d, want 3: %+v", w.Batch, w)
		}
		switch {
		case w.Run >= long:
			longRuns++
		case w.Queued+w.Batched < long:
			t.Errorf("a command of the batch waited %s queued and %s batched, less than the long command's %s: %+v", w.Queued, w.Batched, long, w)
		}
	}
	if longRuns != 1 {
		t.Errorf("%d commands ran %s or longer, want 1", longRuns, long)
	}
}
