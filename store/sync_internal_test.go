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
	db := openSQLite(t, "sync.db")
	syncing, release, stop := make(chan struct{}, 1), make(chan error), make(chan struct{})
	defer close(stop) // before Close: a failed check never leaves the syncer waiting
	db.syncBatch = func() error {
		select {
		case syncing <- struct{}{}:
		case <-stop:
			return db.syncWAL()
		}
		select {
		case err := <-release:
			if err != nil {
				return err
			}
		case <-stop:
		}
		return db.syncWAL()
	}
	orgs := NewOrganisationService(db)
	create := func(ods string) chan error {
		done := make(chan error, 1)
		go func() {
			done <- orgs.CreateOrganisation(ctx, crs.SystemActor(""), &crs.Organisation{ODSCode: ods, Name: "Trust " + ods})
		}()
		return done
	}

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
