package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// queueNotifications queues, in one command, a notification of
// Observations for each subscription named, in order, answering them.
func queueNotifications(t testing.TB, db *store.DB, a crs.Actor, subs ...string) []*crs.Notification {
	t.Helper()
	var out []*crs.Notification
	if err := db.Write(context.Background(), a, crs.ActRecordClinical, func(tx crs.Tx) error {
		if err := tx.Emit(&crs.Event{Type: crs.EventResourceWritten, Summary: "Observations written"}, "observations"); err != nil {
			return err
		}
		for _, sub := range subs {
			n := &crs.Notification{SubscriptionID: sub, ResourceType: "Observation", ResourceID: crs.NewID(), Version: 1}
			if err := tx.QueueNotification(n); err != nil {
				return err
			}
			out = append(out, n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDueNotifications: what is due is the first waiting notification
// of each subscription, of every trust, oldest first, a subscription's
// next only once its first is sent, one tried and failed only once its
// next try is due.
func TestDueNotifications(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a := storetest.NewTrust(t, db, "RDA").Actor(crs.RoleDoctor)
		b := storetest.NewTrust(t, db, "RDB").Actor(crs.RoleDoctor)
		qa := queueNotifications(t, db, a, "s1", "s1", "s2", "s1")
		qb := queueNotifications(t, db, b, "s1", "s3")
		ids := func(ns []*crs.Notification) []string {
			var out []string
			for _, n := range ns {
				out = append(out, n.ID)
			}
			return out
		}
		check := func(t *testing.T, n int, want ...*crs.Notification) {
			t.Helper()
			due, err := db.DueNotifications(ctx, clock.Now(), n)
			if err != nil {
				t.Fatal(err)
			}
			if got, w := ids(due), ids(want); !slices.Equal(got, w) {
				t.Errorf("due (at most %d): %v, want %v", n, got, w)
			}
		}
		check(t, 100, qa[0], qa[2], qb[0], qb[1])
		check(t, 2, qa[0], qa[2])
		if err := db.NotificationSent(ctx, qa[0].ID); err != nil {
			t.Fatal(err)
		}
		check(t, 100, qa[1], qa[2], qb[0], qb[1])
		if err := db.NotificationFailed(ctx, qa[2].ID, clock.Now().Add(time.Minute), "refused"); err != nil {
			t.Fatal(err)
		}
		check(t, 100, qa[1], qb[0], qb[1])
		clock.Advance(time.Minute)
		qa[2].Attempts = 1
		check(t, 100, qa[1], qa[2], qb[0], qb[1])
		if _, err := db.DropNotifications(ctx, b.OrgID, "s1"); err != nil {
			t.Fatal(err)
		}
		check(t, 100, qa[1], qa[2], qb[1])
	})
}

// TestRecordNotifiedOnce: a command whose several events change one
// record (of the patient index or the PAS, sent as it then stands)
// queues its notification once for a subscription; a version of the
// resource store is queued each time it is named, and the next command
// queues the record again.
func TestRecordNotifiedOnce(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		a := storetest.NewTrust(t, db, "RNO").Actor(crs.RoleDoctor)
		command := func() {
			t.Helper()
			if err := db.Write(ctx, a, crs.ActRecordClinical, func(tx crs.Tx) error {
				if err := tx.Emit(&crs.Event{Type: crs.EventResourceWritten, Summary: "Pathway moved on"}, "pathway"); err != nil {
					return err
				}
				for _, n := range []*crs.Notification{
					{SubscriptionID: "s1", ResourceType: "EpisodeOfCare", ResourceID: "pw1"},
					{SubscriptionID: "s1", ResourceType: "EpisodeOfCare", ResourceID: "pw1"},
					{SubscriptionID: "s2", ResourceType: "EpisodeOfCare", ResourceID: "pw1"},
					{SubscriptionID: "s1", ResourceType: "Observation", ResourceID: "o1", Version: 2},
					{SubscriptionID: "s1", ResourceType: "Observation", ResourceID: "o1", Version: 3},
				} {
					if err := tx.QueueNotification(n); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		command()
		for sub, want := range map[string]int{"s1": 3, "s2": 1} {
			if n, err := db.PendingNotifications(ctx, a.OrgID, sub); err != nil || n != want {
				t.Errorf("after one command %s has %d waiting (%v), want %d", sub, n, err, want)
			}
		}
		command()
		if n, _ := db.PendingNotifications(ctx, a.OrgID, "s1"); n != 6 {
			t.Errorf("after two commands s1 has %d waiting, want 6", n)
		}
	})
}
