package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestGroupCommitIsolatesCommands runs many commands at once, so that the
// committer gathers them into shared transactions, and checks that each
// failing command leaves nothing while its neighbours commit.
func TestGroupCommitIsolatesCommands(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RGC")
		clerk := tr.Actor(crs.RoleClerk)
		db.Flush(ctx)
		events := count(t, db, "events", tr.Org.ID)
		const n = 60
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs[i] = db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
					p := newPatient(fmt.Sprintf("Batch%03d", i), "Test", crs.NewDate(1990, 1, 1), "", "", "1")
					if err := tx.InsertPatient(p); err != nil {
						return err
					}
					if i%2 == 1 {
						return crs.Errorf(crs.ECONFLICT, "refused after writing")
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		db.Flush(ctx)
		for i, err := range errs {
			if (i%2 == 1) != (err != nil) {
				t.Errorf("command %d: err = %v", i, err)
			}
		}
		if got := count(t, db, "patients", tr.Org.ID); got != n/2 {
			t.Errorf("patients = %d, want %d", got, n/2)
		}
		if got := count(t, db, "events", tr.Org.ID) - events; got != n/2 {
			t.Errorf("new events = %d, want %d", got, n/2)
		}
		var failed int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1 AND family_name IN ('Batch001', 'Batch003', 'Batch059')`, tr.Org.ID).Scan(&failed); err != nil || failed != 0 {
			t.Errorf("failed commands' patients found: %d, %v", failed, err)
		}
	})
}
