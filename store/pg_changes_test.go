package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestChangesOfOtherProcesses: two crs processes on one PostgreSQL
// database (two stores on one schema) are each told of the other's
// commits: a Subscription written through one is matched by the other's
// next commands, which had the trust's Subscriptions (none) kept, and a
// patient registered through one is told to the other's OnCommit
// listeners (its FHIR read cache, live boards and feed senders).
func TestChangesOfOtherProcesses(t *testing.T) {
	ctx := context.Background()
	dbs := storetest.OpenProcesses(t, 2)
	a, b := dbs[0], dbs[1]
	tr := storetest.NewTrust(t, a, "ROP")
	doctor := tr.Actor(crs.RoleDoctor)
	told := make(chan *crs.Event, 100)
	a.OnCommit(func(ev *crs.Event) {
		select {
		case told <- ev:
		default:
		}
	})
	errLook := errors.New("looked")
	subscriptions := func() int {
		t.Helper()
		n := 0
		err := a.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error {
			rs, err := tx.Subscriptions()
			n = len(rs)
			if err != nil {
				return err
			}
			return errLook
		})
		if !errors.Is(err, errLook) {
			t.Fatal(err)
		}
		return n
	}
	if n := subscriptions(); n != 0 {
		t.Fatalf("%d Subscriptions before any was written", n)
	}
	sub := &crs.Resource{Type: "Subscription", ID: "s1", Version: 1, Body: []byte(`{"resourceType":"Subscription","id":"s1","status":"active","criteria":"Observation","channel":{"type":"rest-hook","endpoint":"https://gp.example.org/hook"}}`)}
	if err := b.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(sub, nil) }); err != nil {
		t.Fatal(err)
	}
	// Told by a notice, within a round trip's time: looked for until a
	// guard's time, long past it.
	deadline := time.Now().Add(20 * time.Second)
	for subscriptions() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("a Subscription written through the other process is not seen by this one's commands")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The listening connections lost (PostgreSQL restarted, say), a
	// change made before they are back is not missed: what was kept is
	// not used while they are down, and is forgotten once they are up.
	var lost int
	if err := a.Reader().QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %' AND query LIKE '%crs_changes_' || current_schema() || '%'`).Scan(&lost); err != nil || lost != 2 {
		t.Fatalf("listening connections ended: %d, %v; want both processes'", lost, err)
	}
	sub2 := &crs.Resource{Type: "Subscription", ID: "s2", Version: 1, Body: []byte(`{"resourceType":"Subscription","id":"s2","status":"active","criteria":"Condition","channel":{"type":"rest-hook","endpoint":"https://gp.example.org/hook"}}`)}
	if err := b.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(sub2, nil) }); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for subscriptions() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("a Subscription written while the processes' listening connections were down is not seen by the other")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, db := range dbs {
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := db.WaitListening(wait)
		cancel()
		if err != nil {
			t.Fatalf("not listening again: %v", err)
		}
	}

	p := &crs.Patient{FamilyName: "Elsewhere", GivenName: "Ann", BirthDate: crs.NewDate(1970, 1, 2), Gender: "2"}
	if err := store.NewPatientService(b).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
		t.Fatal(err)
	}
	guard := time.After(20 * time.Second)
	for {
		select {
		case ev := <-told:
			if ev.Type == crs.EventPatientRegistered && ev.PatientID == p.ID && ev.OrgID == tr.Org.ID {
				return
			}
		case <-guard:
			t.Fatal("a registration through the other process was not told to this one's OnCommit listeners")
		}
	}
}
