package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestRunNightlyCensus runs the server's census scheduler: it takes the
// nights missing at once, takes the next night once midnight has passed,
// and stops when the server does.
func TestRunNightlyCensus(t *testing.T) {
	clock := crs.NewFixedClock(storetest.Epoch)
	db := storetest.OpenSQLite(t, clock)
	tr := storetest.NewTrust(t, db, "RNS")
	censuses := func() int {
		evs, err := store.FindEvents(context.Background(), db.Reader(), tr.Org.ID, "type = $2", crs.EventCensusRecorded)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	waitFor := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); censuses() != want; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("censuses taken = %d, want %d", censuses(), want)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		runNightlyCensus(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)), 10*time.Millisecond)
		close(done)
	}()
	waitFor(censusNights)
	clock.Advance(24 * time.Hour)
	waitFor(censusNights + 1)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the census scheduler did not stop with the server")
	}
}
