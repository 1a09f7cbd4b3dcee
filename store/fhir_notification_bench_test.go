package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

// BenchmarkDueNotifications times the sender's look for what is due
// (DueNotifications, once a second) when a Subscription's endpoint has
// been down long enough for 50,000 notifications to wait behind its
// first, beside four other subscriptions with one each. Set
// CRS_BENCH_POSTGRES to run it on PostgreSQL.
func BenchmarkDueNotifications(b *testing.B) {
	ctx := context.Background()
	db := storetest.OpenBench(b)
	tr := storetest.NewTrust(b, db, "RNT")
	a := tr.Actor(crs.RoleDoctor)
	down := make([]string, 1000)
	for i := range down {
		down[i] = "down"
	}
	for batch := 0; batch < 50; batch++ {
		queueNotifications(b, db, a, down...)
	}
	queueNotifications(b, db, a, "a", "b", "c", "d")
	now := time.Now().Add(time.Hour)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		due, err := db.DueNotifications(ctx, now, 100)
		if err != nil || len(due) != 5 {
			b.Fatalf("due: %d, %v; want the first of each of the 5 subscriptions", len(due), err)
		}
	}
}
