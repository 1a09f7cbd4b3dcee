package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestWriteGuarantees checks what the write path promises every command
// on both engines: a panic or a command that appends no event leaves
// nothing and answers EINTERNAL, a clerk administering settings is
// refused and audited, and the OnCommit listeners hear of a change only once
// readers can see it.
func TestWriteGuarantees(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RWG")
		clerk := tr.Actor(crs.RoleClerk)
		var mu sync.Mutex
		visible := map[string]bool{} // event id -> readable when told
		db.OnCommit(func(ev *crs.Event) {
			var n int
			_ = db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE id = $1`, ev.ID).Scan(&n)
			mu.Lock()
			visible[ev.ID] = n == 1
			mu.Unlock()
		})
		register := func(family string) func(tx crs.Tx) error {
			return func(tx crs.Tx) error {
				return tx.InsertPatient(newPatient(family, "Test", crs.NewDate(1990, 1, 1), "", "", "1"))
			}
		}
		for _, tc := range []struct {
			name     string
			act      crs.Activity
			fn       func(tx crs.Tx) error
			wantCode string // "" for success
		}{
			{"applied", crs.ActRegisterPatient, register("Applied"), ""},
			{"panic", crs.ActRegisterPatient, func(tx crs.Tx) error {
				if err := register("Panicked")(tx); err != nil {
					return err
				}
				panic("a fault in the command")
			}, crs.EINTERNAL},
			{"no event", crs.ActRegisterPatient, func(tx crs.Tx) error {
				_, err := tx.(*store.Tx).Exec(`UPDATE counters SET value = value + 1 WHERE org_id = $1 AND name = 'mrn'`, tx.Actor().OrgID)
				return err
			}, crs.EINTERNAL},
			{"refused", crs.ActAdministerSettings, register("Refused"), crs.EFORBIDDEN},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := count(t, db, "events", tr.Org.ID)
				err := db.Write(ctx, clerk, tc.act, tc.fn)
				if got := crs.ErrorCode(err); (tc.wantCode == "") != (err == nil) || (err != nil && got != tc.wantCode) {
					t.Fatalf("err = %v (%s), want code %q", err, got, tc.wantCode)
				}
				wantEvents := 0
				if tc.wantCode == "" {
					wantEvents = 1
				}
				if got := count(t, db, "events", tr.Org.ID) - before; got != wantEvents {
					t.Errorf("new events = %d, want %d", got, wantEvents)
				}
			})
		}
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1 AND family_name <> 'Applied'`, tr.Org.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("patients of failed commands: %d, %v", n, err)
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var refusals int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND action = $2`, tr.Org.ID, crs.AuditRefused).Scan(&refusals); err != nil || refusals != 1 {
			t.Errorf("refusals audited: %d, %v; want 1", refusals, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(visible) != 1 {
			t.Errorf("OnCommit told of %d events, want 1", len(visible))
		}
		for id, ok := range visible {
			if !ok {
				t.Errorf("OnCommit told of event %s before readers could see it", id)
			}
		}
	})
}

// TestReadAuditsWrittenWithoutWrites checks that audit records of reads
// are written when no command runs, by Flush and by Close.
func TestReadAuditsWrittenWithoutWrites(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RRA")
		doctor := tr.Actor(crs.RoleDoctor)
		audits := func() int {
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND action = $2`, tr.Org.ID, crs.AuditView).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for i := 0; i < 100; i++ {
			db.Audit(doctor, "", crs.AuditView, "list")
		}
		if err := db.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := audits(); got != 100 {
			t.Errorf("after Flush: %d read audits, want 100", got)
		}
	})
}

// TestDeadlockRetried makes two commands lock two patients in opposite
// orders on PostgreSQL, where commands run at once: PostgreSQL breaks
// the deadlock by failing one, which is run again, so both succeed.
// (SQLite's one writer applies commands one at a time: no deadlock.)
func TestDeadlockRetried(t *testing.T) {
	db := storetest.OpenPostgres(t, nil)
	ctx := context.Background()
	tr := storetest.NewTrust(t, db, "RDL")
	clerk := tr.Actor(crs.RoleClerk)
	ps := store.NewPatientService(db)
	a, b := newPatient("Deadlock", "A", crs.NewDate(1990, 1, 1), "", "", "1"), newPatient("Deadlock", "B", crs.NewDate(1990, 1, 1), "", "", "1")
	for _, p := range []*crs.Patient{a, b} {
		if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
			t.Fatal(err)
		}
	}
	var runs atomic.Int32
	both := make(chan struct{}, 2)
	lockBoth := func(first, second *crs.Patient) func(tx crs.Tx) error {
		return func(tx crs.Tx) error {
			run := runs.Add(1)
			if _, err := tx.GetPatient(first.ID); err != nil {
				return err
			}
			if run <= 2 { // the first runs wait until both hold their first lock
				both <- struct{}{}
				deadline := time.After(10 * time.Second)
				for len(both) < 2 {
					select {
					case <-deadline:
						return crs.Errorf(crs.EINTERNAL, "the other command never took its first lock")
					case <-time.After(time.Millisecond):
					}
				}
			}
			if _, err := tx.GetPatient(second.ID); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: "test.locked", PatientID: first.ID, Summary: "locked two records"}, "test")
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, order := range [][2]*crs.Patient{{a, b}, {b, a}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.Write(ctx, clerk, crs.ActAmendDemographics, lockBoth(order[0], order[1]))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("command %d: %v", i, err)
		}
	}
	if n := runs.Load(); n < 3 {
		t.Errorf("commands ran %d times; want a third run after the deadlock", n)
	}
}

// TestManyEventsOfOneCommand appends more events in one command than
// PostgreSQL's write path puts in one statement, and checks on both
// engines that each is written once with its audit record: the record
// names the event and carries its trust, time, actor and patient.
func TestManyEventsOfOneCommand(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RME")
		const n = 150
		emitEvents(t, db, tr.Actor(crs.RoleClerk), n)
		var events, paired int
		if err := db.Reader().QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM events WHERE org_id = $1 AND type = 'test'),
			(SELECT COUNT(*) FROM events e JOIN audit a ON a.event_id = e.id AND a.org_id = e.org_id AND a.at = e.recorded_at
				AND a.user_id = e.user_id AND a.role = e.role AND a.patient_id = e.patient_id WHERE e.org_id = $1 AND e.type = 'test')`,
			tr.Org.ID).Scan(&events, &paired); err != nil {
			t.Fatal(err)
		}
		if events != n || paired != n {
			t.Errorf("events written %d, with their audit records %d; want %d each", events, paired, n)
		}
	})
}

// emitEvents applies one command that appends n events of type "test",
// each of its own patient, and waits for their audit records to be
// written and chained.
func emitEvents(t *testing.T, db *store.DB, a crs.Actor, n int) {
	t.Helper()
	ctx := context.Background()
	err := db.Write(ctx, a, crs.ActRegisterPatient, func(tx crs.Tx) error {
		for i := range n {
			if err := tx.Emit(&crs.Event{Type: "test", PatientID: fmt.Sprintf("p%03d", i), Summary: fmt.Sprintf("event %d of %d", i, n)}, "test"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}
