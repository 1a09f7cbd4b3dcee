package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestDryRunLeavesNothing applies commands that build on each other in a
// dry run, one of them failing, and checks that each saw what it should
// while the dry run lasted and that afterwards no table of the database
// has a row more or less, no commit listener was told, and the write
// path works as before.
func TestDryRunLeavesNothing(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RDR")
		clerk := tr.Actor(crs.RoleClerk)
		var hooked, told atomic.Int32
		db.OnEvent(func(tx crs.Tx, ev *crs.Event) error { hooked.Add(1); return nil })
		db.OnCommit(func(*crs.Event) { told.Add(1) })
		db.Flush(ctx)
		before := storetest.TableCounts(t, db)

		var first *crs.Patient
		err := db.DryRun(ctx, func(w crs.Writer) error {
			// 1: register a patient.
			if err := w.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
				first = newPatient("Dryrun", "Ada", crs.NewDate(1980, 5, 1), "9990000018", "E1 6AN", "2")
				return tx.InsertPatient(first)
			}); err != nil {
				return err
			}
			// 2: a later command finds and changes the patient 1 registered.
			if err := w.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
				p, err := tx.FindPatientByIdentifier("nhs", "9990000018")
				if err != nil {
					return err
				}
				p.GivenName, p.Version = "Adah", 0
				return tx.UpdatePatient(p)
			}); err != nil {
				return err
			}
			// 3: a command that writes, then fails, undoes only itself.
			err := w.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
				if err := tx.InsertPatient(newPatient("Refused", "Bo", crs.NewDate(1970, 1, 1), "", "", "1")); err != nil {
					return err
				}
				return crs.Errorf(crs.ECONFLICT, "refused after writing")
			})
			if crs.ErrorCode(err) != crs.ECONFLICT {
				t.Errorf("failing command: err = %v, want ECONFLICT", err)
			}
			// 4: an actor without the activity is refused.
			if err := w.Write(ctx, tr.Actor(crs.RoleNurse), crs.ActAdministerSettings, func(tx crs.Tx) error { return nil }); crs.ErrorCode(err) != crs.EFORBIDDEN && crs.ErrorCode(err) != crs.EUNAUTHORIZED {
				t.Errorf("command without the activity: err = %v, want it refused", err)
			}
			// 5: what 1 and 2 did is there, what 3 did is not.
			return w.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
				p, err := tx.GetPatient(first.ID)
				if err != nil {
					return err
				}
				if p.GivenName != "Adah" {
					t.Errorf("patient in the dry run: given name %q, want Adah", p.GivenName)
				}
				if _, err := tx.FindPatientByIdentifier("mrn", "no such"); crs.ErrorCode(err) != crs.ENOTFOUND {
					t.Errorf("find unknown: %v", err)
				}
				p.GivenName = "Ada"
				return tx.UpdatePatient(p)
			})
		})
		if err != nil {
			t.Fatalf("dry run: %v", err)
		}
		if hooked.Load() == 0 {
			t.Error("event hooks did not run in the dry run")
		}
		if n := told.Load(); n != 0 {
			t.Errorf("commit listeners told of %d events of a dry run", n)
		}
		db.Flush(ctx)
		if diff := cmp.Diff(before, storetest.TableCounts(t, db)); diff != "" {
			t.Errorf("rows after the dry run (-before +after):\n%s", diff)
		}
		if _, err := db.Reader().ExecContext(ctx, `SELECT 1`); err != nil {
			t.Fatal(err)
		}

		// An error of fn is returned, and still nothing remains.
		boom := errors.New("stop")
		if err := db.DryRun(ctx, func(w crs.Writer) error {
			if err := w.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
				return tx.InsertPatient(newPatient("Dryrun", "Cy", crs.NewDate(1981, 5, 1), "", "", "1"))
			}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Errorf("dry run returning an error: got %v", err)
		}
		db.Flush(ctx)
		if diff := cmp.Diff(before, storetest.TableCounts(t, db)); diff != "" {
			t.Errorf("rows after a failed dry run (-before +after):\n%s", diff)
		}

		// A command sent while a dry run lasts is applied, after it on
		// SQLite (one writer), beside it on PostgreSQL; either way it stays.
		done := make(chan error, 1)
		if err := db.DryRun(ctx, func(w crs.Writer) error {
			go func() {
				done <- db.Write(ctx, clerk, crs.ActRegisterPatient, func(tx crs.Tx) error {
					return tx.InsertPatient(newPatient("Kept", "Di", crs.NewDate(1982, 5, 1), "", "", "2"))
				})
			}()
			time.Sleep(20 * time.Millisecond)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("write after the dry run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a write waiting on the dry run never finished")
		}
		if got := count(t, db, "patients", tr.Org.ID) - before["patients"]; got != 1 {
			t.Errorf("patients written after the dry run = %d, want 1", got)
		}
		if told.Load() == 0 {
			t.Error("commit listeners not told of a committed write")
		}
	})
}
