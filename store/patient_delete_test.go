package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestDeletePatientRegisteredInError checks that a record registered in
// error, with no activity, is deleted (its NHS number free again, its
// history kept with the deletion last), and that a record with a
// referral, one merged and one with a record merged into it are not,
// the refusal naming why.
func TestDeletePatientRegisteredInError(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		s := newSite(t, db, "RDL", 4)
		ps := store.NewPatientService(db)
		del := func(id string) error {
			return db.Write(ctx, s.tr.Actor(crs.RoleInterface), crs.ActMergePatients, func(tx crs.Tx) error { return tx.DeletePatient(id, "registered twice") })
		}
		// An error: a second record of one person, with its NHS number.
		wrong := newPatient("Mistake", "Molly", crs.NewDate(1977, time.May, 6), "", "", "2")
		wrong.NHSNumber = "9990000018"
		if err := ps.RegisterPatient(ctx, s.clerk, wrong); err != nil {
			t.Fatal(err)
		}
		if err := del(wrong.ID); err != nil {
			t.Fatalf("delete a registration in error: %v", err)
		}
		if _, err := ps.FindPatient(ctx, s.clerk, wrong.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("read after the delete: %v, want not found", err)
		}
		history, err := ps.PatientHistory(ctx, s.clerk, wrong.ID)
		if err != nil || len(history) != 2 || history[0].Type != crs.EventPatientDeleted || !strings.Contains(history[0].Summary, "registered twice") {
			t.Fatalf("history after the delete: %v %v", history, err)
		}
		again := newPatient("Right", "Molly", crs.NewDate(1977, time.May, 6), "", "", "2")
		again.NHSNumber = "9990000018"
		if err := ps.RegisterPatient(ctx, s.clerk, again); err != nil {
			t.Errorf("the NHS number is not free after the delete: %v", err)
		}
		if again.MRN == wrong.MRN {
			t.Errorf("hospital number %s given again", again.MRN)
		}
		if err := del(wrong.ID); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("a second delete: %v, want not found", err)
		}

		// Activity: a referral.
		s.referral(t, s.patients[0], crs.LocalDate(clock.Now()))
		if err := del(s.patients[0].ID); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "a referral") {
			t.Errorf("delete of a record with a referral: %v", err)
		}
		// A merge: neither record goes.
		if err := ps.MergePatients(ctx, s.tr.Actor(crs.RoleInterface), s.patients[1].ID, s.patients[2].ID, "duplicate"); err != nil {
			t.Fatal(err)
		}
		if err := del(s.patients[1].ID); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "merged into it") {
			t.Errorf("delete of a record with another merged into it: %v", err)
		}
		if err := del(s.patients[2].ID); crs.ErrorCode(err) != crs.ECONFLICT || !strings.Contains(err.Error(), "was merged") {
			t.Errorf("delete of a merged record: %v", err)
		}
		for _, p := range s.patients[:3] {
			if _, err := ps.FindPatient(ctx, s.clerk, p.ID); err != nil {
				t.Errorf("a record refused deletion is gone: %v", err)
			}
		}
		// A clerk may not delete.
		err = db.Write(ctx, s.clerk, crs.ActMergePatients, func(tx crs.Tx) error { return tx.DeletePatient(s.patients[3].ID, "") })
		if crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("a clerk's delete: %v, want forbidden", err)
		}
	})
}
