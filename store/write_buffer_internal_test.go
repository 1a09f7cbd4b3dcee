package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestBufferedEventsKeepSavepoints checks the batch's buffer of events
// and audit records on SQLite (PostgreSQL writes them as they come):
// commands sharing a batch keep their rows, a command that fails keeps
// none, even after a read of the events table wrote the buffer within its
// savepoint, and that read sees the events of its own command and of the
// commands before it in the batch.
func TestBufferedEventsKeepSavepoints(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t, "buffer.db")
	a := crs.SystemActor("buffer-test-trust")
	emit := func(tx crs.Tx, subject string) error {
		return tx.(*Tx).Emit(&crs.Event{Type: "test", SubjectID: subject, Summary: "buffer test"}, "buffer test")
	}

	// The first command holds the committer until the others are queued,
	// so they share the next batch.
	hold, holding := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	errs := map[string]error{}
	var mu sync.Mutex
	write := func(name string, fn func(crs.Tx) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.Write(ctx, a, crs.ActRegisterPatient, fn)
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		}()
	}
	write("hold", func(tx crs.Tx) error {
		close(holding)
		<-hold
		return emit(tx, "buf-hold")
	})
	select {
	case <-holding:
	case <-time.After(10 * time.Second):
		t.Fatal("the first command did not start")
	}
	var seen int
	write("b", func(tx crs.Tx) error { return emit(tx, "buf-b") })
	waitQueued(t, db, 1)
	write("c", func(tx crs.Tx) error {
		if err := emit(tx, "buf-c"); err != nil {
			return err
		}
		if err := tx.(*Tx).QueryRow(`SELECT COUNT(*) FROM events WHERE subject_id IN ('buf-b', 'buf-c')`).Scan(&seen); err != nil {
			return err
		}
		return crs.Errorf(crs.ECONFLICT, "refused after reading its events")
	})
	waitQueued(t, db, 2)
	write("d", func(tx crs.Tx) error { return emit(tx, "buf-d") })
	waitQueued(t, db, 3)
	close(hold)
	wg.Wait()

	for name, err := range errs {
		if (name == "c") != (err != nil) {
			t.Errorf("command %s: err = %v", name, err)
		}
	}
	if seen != 2 {
		t.Errorf("the failing command saw %d events of its batch; want 2 (its own and the one before it)", seen)
	}
	for subject, want := range map[string]int{"buf-hold": 1, "buf-b": 1, "buf-c": 0, "buf-d": 1} {
		var events, audits int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE subject_id = $1`, subject).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit WHERE event_id IN (SELECT id FROM events WHERE subject_id = $1)`, subject).Scan(&audits); err != nil {
			t.Fatal(err)
		}
		if events != want || audits != want {
			t.Errorf("%s: %d events and %d audit records, want %d of each", subject, events, audits, want)
		}
	}
}

// waitQueued waits until n commands wait for the committer.
func waitQueued(t *testing.T, db *DB, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(db.jobs) < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d commands queued, want %d", len(db.jobs), n)
		}
	}
}

func TestReadsAppended(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{`SELECT data FROM events WHERE org_id = $1`, true},
		{`SELECT COUNT(*) FROM audit`, true},
		{"UPDATE events\nSET patient_id = $1", true},
		{`SELECT a.id FROM audit a JOIN x ON x.id = a.event_id`, true},
		{`INSERT INTO rtt_events (id) VALUES ($1)`, false},
		{`SELECT id FROM patients WHERE id = $1`, false},
		{`SELECT audit_user FROM events_new`, false},
	}
	for _, tt := range tests {
		if got := readsAppended(tt.query); got != tt.want {
			t.Errorf("readsAppended(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}
