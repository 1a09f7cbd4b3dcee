package store_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestCommandOutlivesItsRequest checks that on SQLite a command whose
// request ends while the committer runs it (a client that hung up, a
// server shutting down) is applied whole all the same: its statements run
// to their end, so it neither fails half way nor makes its batch run
// again without it.
func TestCommandOutlivesItsRequest(t *testing.T) {
	db := storetest.OpenSQLite(t, crs.NewFixedClock(storetest.Epoch))
	tr := storetest.NewTrust(t, db, "RCO")
	doctor := tr.Actor(crs.RoleDoctor)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &crs.Resource{Type: "Observation", ID: "o1", Version: 1, Body: []byte(`{"resourceType":"Observation"}`)}
	err := db.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error {
		cancel() // the request ends after the committer began the command
		return tx.PutResources([]*crs.Resource{r}, [][]crs.ResourceIndexRow{nil})
	})
	if err != nil {
		t.Fatalf("the command failed when its request ended: %v", err)
	}
	got, err := store.NewResourceService(db).ReadResource(context.Background(), doctor, "Observation", "o1", 1)
	if err != nil {
		t.Fatalf("the resource written is not there: %v", err)
	}
	if string(got.Body) != string(r.Body) {
		t.Errorf("body = %s, want %s", got.Body, r.Body)
	}
}
