package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestNumberingDoesNotQueueCommands: on PostgreSQL, where commands run
// side by side, a registration that has taken its hospital number and is
// still at work does not hold the next registration of the trust back
// until it commits; the two get different numbers. (On SQLite the one
// writer applies commands in turn.)
func TestNumberingDoesNotQueueCommands(t *testing.T) {
	db := storetest.OpenPostgres(t, crs.NewFixedClock(storetest.Epoch))
	tr := storetest.NewTrust(t, db, "RNQ")
	clerk := tr.Actor(crs.RoleClerk)
	ctx := context.Background()

	numbered, release, firstDone := make(chan string, 1), make(chan struct{}), make(chan error, 1)
	go func() {
		firstDone <- db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
			p := newPatient("Waiting", "First", crs.NewDate(1970, 1, 1), "", "", "1")
			if err := tx.InsertPatient(p); err != nil {
				return err
			}
			numbered <- p.MRN
			<-release // still at work, its transaction open
			return nil
		})
	}()
	var first string
	select {
	case first = <-numbered:
	case err := <-firstDone:
		t.Fatalf("first registration: %v", err)
	}

	second := newPatient("Next", "Second", crs.NewDate(1971, 1, 1), "", "", "2")
	secondDone := make(chan error, 1)
	go func() { secondDone <- store.NewPatientService(db).RegisterPatient(ctx, clerk, second) }()
	select {
	case err := <-secondDone:
		close(release)
		if err != nil {
			t.Fatalf("second registration: %v", err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		<-secondDone
		t.Fatal("the second registration waited for the first to commit")
	}
	if err := <-firstDone; err != nil {
		t.Fatalf("first registration: %v", err)
	}
	if first == "" || second.MRN == "" || first == second.MRN {
		t.Errorf("hospital numbers %q and %q; want two different numbers", first, second.MRN)
	}
}

// TestNumberingAfterFailedCommand: a number taken by a command that
// then fails is not given again, and the next command's number follows
// it, on both engines (on SQLite the failed command's counter move is
// rolled back with it, so the numbers run on without a gap).
func TestNumberingAfterFailedCommand(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNF")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		a := newPatient("Before", "One", crs.NewDate(1970, 1, 1), "", "", "1")
		if err := pats.RegisterPatient(ctx, clerk, a); err != nil {
			t.Fatal(err)
		}
		var failedMRN string
		err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
			p := newPatient("Failed", "Two", crs.NewDate(1970, 1, 2), "", "", "2")
			if err := tx.InsertPatient(p); err != nil {
				return err
			}
			failedMRN = p.MRN
			return crs.Errorf(crs.EINVALID, "refused after numbering")
		})
		if crs.ErrorCode(err) != crs.EINVALID {
			t.Fatalf("failing command: %v, want EINVALID", err)
		}
		b := newPatient("After", "Three", crs.NewDate(1970, 1, 3), "", "", "1")
		if err := pats.RegisterPatient(ctx, clerk, b); err != nil {
			t.Fatal(err)
		}
		if b.MRN == a.MRN || failedMRN == "" {
			t.Fatalf("numbers %q, %q (failed), %q", a.MRN, failedMRN, b.MRN)
		}
		if db.Dialect() == "postgres" && (b.MRN == failedMRN || b.MRN < failedMRN) {
			t.Errorf("after %q was taken by a failed command the next is %q; want a later number, never the same", failedMRN, b.MRN)
		}
		if db.Dialect() == "sqlite" && b.MRN != failedMRN {
			t.Errorf("on SQLite the failed command's number %q is rolled back and given next; got %q", failedMRN, b.MRN)
		}
	})
}

// TestNumberingWithNHSLookUp registers patients with NHS numbers, which
// on PostgreSQL take their hospital numbers in the look-up of the NHS
// number, before the command's transaction begins, in a transaction of
// their own that does not wait for the disk: eight at once get eight
// numbers in a row, none given twice; a registration refused because the
// NHS number is held takes none, so the next number follows on; and the
// command's own commit still waits for the disk (synchronous_commit is
// on within it), as acknowledged means durable.
func TestNumberingWithNHSLookUp(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tr := storetest.NewTrust(t, db, "RNL")
		clerk := tr.Actor(crs.RoleClerk)
		ctx := context.Background()
		pats := store.NewPatientService(db)
		numbers := []string{"9990000018", "9990000026", "9990000034", "9990000042", "9990000050", "9990000069", "9990000077", "9990000085"}
		var wg sync.WaitGroup
		got := make([]*crs.Patient, len(numbers))
		for i, n := range numbers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := newPatient("Numbered", "Ann", crs.NewDate(1970, 1, 1+i), n, "", "2")
				if err := pats.RegisterPatient(ctx, clerk, p); err != nil {
					t.Errorf("register %s: %v", n, err)
				}
				got[i] = p
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		var mrns []string
		for _, p := range got {
			mrns = append(mrns, p.MRN)
		}
		slices.Sort(mrns)
		var want []string
		for i := range numbers {
			want = append(want, crs.FormatMRN(tr.Org.MRNPrefix, int64(1+i)))
		}
		if !slices.Equal(mrns, want) {
			t.Errorf("hospital numbers %v; want %v, one each, in a row", mrns, want)
		}

		held := newPatient("Held", "Bea", crs.NewDate(1980, 1, 1), numbers[0], "", "2")
		if err := pats.RegisterPatient(ctx, clerk, held); crs.ErrorCode(err) != crs.ECONFLICT {
			t.Fatalf("register a held NHS number: %v; want ECONFLICT", err)
		}
		var syncCommit string
		next := newPatient("Next", "Cat", crs.NewDate(1980, 1, 2), "9990000093", "", "2")
		err := db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
			if err := tx.InsertPatient(next); err != nil {
				return err
			}
			if db.Dialect() != "postgres" {
				return nil
			}
			return tx.(*store.Tx).QueryRow(`SELECT current_setting('synchronous_commit')`).Scan(&syncCommit)
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := crs.FormatMRN(tr.Org.MRNPrefix, int64(len(numbers)+1)); next.MRN != want {
			t.Errorf("after a refused registration the next number is %s; want %s", next.MRN, want)
		}
		if db.Dialect() == "postgres" && syncCommit != "on" {
			t.Errorf("synchronous_commit within the registration's transaction is %q; want on", syncCommit)
		}
	})
}
