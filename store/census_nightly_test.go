package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

func TestRecordMissingCensuses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a := storetest.NewTrust(t, db, "RNC")
		b := storetest.NewTrust(t, db, "RND")
		n, err := store.RecordMissingCensuses(ctx, db, 3)
		if err != nil {
			t.Fatal(err)
		}
		if n != 6 {
			t.Fatalf("first run took %d censuses, want 3 nights for each of 2 trusts", n)
		}
		if n, err := store.RecordMissingCensuses(ctx, db, 3); err != nil || n != 0 {
			t.Fatalf("second run took %d, %v; want none", n, err)
		}
		clock.Advance(24 * time.Hour)
		if n, err := store.RecordMissingCensuses(ctx, db, 3); err != nil || n != 2 {
			t.Fatalf("next day took %d, %v; want one night per trust", n, err)
		}
		for _, tr := range []*storetest.Trust{a, b} {
			evs, err := store.FindEvents(ctx, db.Reader(), tr.Org.ID, "type = $2", crs.EventCensusRecorded)
			if err != nil || len(evs) != 4 {
				t.Errorf("trust %s census events = %d, %v; want 4", tr.Org.ODSCode, len(evs), err)
			}
		}
	})
}
