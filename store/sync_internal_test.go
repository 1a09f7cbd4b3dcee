package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
)

// TestAnsweredOnlyAfterSync checks the syncer's promise on SQLite: a
// command is committed (readers see it) before its disk sync, but its
// caller is answered only once the sync is done, and told of an error if
// the sync fails.
func TestAnsweredOnlyAfterSync(t *testing.T) {
	ctx := context.Background()
	_, orgs, create, syncing, release := heldSyncs(t)

	done := create("RAA")
	<-syncing // committed and handed to the syncer
	if _, err := orgs.FindOrganisationByODS(ctx, crs.SystemActor(""), "RAA"); err != nil {
		t.Fatalf("the committed change is not visible to readers while it syncs: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("the command was answered (%v) before its disk sync finished", err)
	case <-time.After(50 * time.Millisecond):
	}
	release <- nil
	if err := <-done; err != nil {
		t.Fatalf("after the sync: %v", err)
	}

	done = create("RBB")
	<-syncing
	release <- errors.New("device gone")
	if err := <-done; crs.ErrorCode(err) != crs.EINTERNAL || !strings.Contains(err.Error(), "device gone") {
		t.Errorf("a failed sync answered %v; want an internal error that says the disk did not confirm the write", err)
	}
}

// TestCommandsWhileSyncingShareACommit checks that on SQLite the
// commands that come while the log is synced for the batch before stay
// in one open transaction, applied but not committed, and commit
// together once that sync is done: a commit then would have waited for
// the next sync all the same.
func TestCommandsWhileSyncingShareACommit(t *testing.T) {
	ctx := context.Background()
	db, orgs, create, syncing, release := heldSyncs(t)
	visible := func(ods string) bool {
		_, err := orgs.FindOrganisationByODS(ctx, crs.SystemActor(""), ods)
		if err != nil && crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Fatalf("find %s: %v", ods, err)
		}
		return err == nil
	}

	applied := make(chan struct{}, 8) // each command's event, as the committer applies it
	db.OnEvent(func(crs.Tx, *crs.Event) error { applied <- struct{}{}; return nil })

	commits := db.Commits()
	first := create("RAA")
	<-applied
	<-syncing // RAA committed, its sync under way
	later := []chan error{create("RBB"), create("RCC")}
	<-applied
	<-applied
	for _, ods := range []string{"RBB", "RCC"} {
		if visible(ods) {
			t.Errorf("%s was committed while the batch before it synced; want it held in the open batch", ods)
		}
	}
	release <- nil
	if err := <-first; err != nil {
		t.Fatalf("RAA: %v", err)
	}
	<-syncing // one commit of both, synced
	for _, ods := range []string{"RBB", "RCC"} {
		if !visible(ods) {
			t.Errorf("%s is not committed when the one sync after RAA's began", ods)
		}
	}
	release <- nil
	for i, done := range later {
		if err := <-done; err != nil {
			t.Errorf("command %d after RAA: %v", i+1, err)
		}
	}
	if got := db.Commits() - commits; got != 2 {
		t.Errorf("three commands, the last two during the first's sync, took %d commits; want 2", got)
	}
}

// heldSyncs opens a database whose disk syncs of the log each wait:
// syncing says a sync has begun, and the sync goes on when its error (nil
// for none) is sent on release; they stop waiting when the test ends.
// create registers a trust with an ODS code in a command of its own and
// answers on the channel it returns.
func heldSyncs(t *testing.T) (db *DB, orgs *OrganisationService, create func(ods string) chan error, syncing <-chan struct{}, release chan<- error) {
	db = openSQLite(t, "sync.db")
	orgs = NewOrganisationService(db)
	begun, rel, stop := make(chan struct{}, 1), make(chan error), make(chan struct{})
	t.Cleanup(func() { close(stop) }) // before Close: a failed check never leaves the syncer waiting
	db.syncBatch = func() error {
		select {
		case begun <- struct{}{}:
		case <-stop:
			return db.syncWAL()
		}
		select {
		case err := <-rel:
			if err != nil {
				return err
			}
		case <-stop:
		}
		return db.syncWAL()
	}
	create = func(ods string) chan error {
		done := make(chan error, 1)
		go func() {
			done <- orgs.CreateOrganisation(context.Background(), crs.SystemActor(""), &crs.Organisation{ODSCode: ods, Name: "Trust " + ods})
		}()
		return done
	}
	return db, orgs, create, begun, rel
}
