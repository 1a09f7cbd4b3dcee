package store_test

import (
	"context"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// auditRows counts the audit records of the trust about a patient ("" for
// records about no patient).
func auditRows(t *testing.T, db *store.DB, orgID, patientID string) int {
	t.Helper()
	if err := db.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_trail WHERE org_id = $1 AND patient_id = $2`, orgID, patientID).Scan(&n); err != nil {
		t.Fatalf("count audit records: %v", err)
	}
	return n
}

// TestFindPatientByIdentifier checks the clerk's look-up by NHS number
// and hospital number: it finds the live record before a merged one that
// holds the same number, follows a merged record to its survivor, and
// audits the read once, as a read of the record found.
func TestFindPatientByIdentifier(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RLK")
		ps := store.NewPatientService(db)
		clerk := tr.Actor(crs.RoleClerk)
		minor := newPatient("Lookup", "Minnie", crs.NewDate(1970, 1, 2), "999 000 0018", "E1 6AN", "2")
		major := newPatient("Lookup", "Minnie", crs.NewDate(1970, 1, 2), "", "E1 6AN", "2")
		other := newPatient("Other", "Olive", crs.NewDate(1981, 5, 6), "999 000 0026", "E1 6AN", "2")
		for _, p := range []*crs.Patient{minor, major, other} {
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
		}
		find := func(kind, value, wantID string) {
			t.Helper()
			before, none := auditRows(t, db, tr.Org.ID, wantID), auditRows(t, db, tr.Org.ID, "")
			got, err := ps.FindPatientByIdentifier(ctx, clerk, kind, value)
			if err != nil {
				t.Fatalf("find by %s %s: %v", kind, value, err)
			}
			if got.ID != wantID {
				t.Errorf("find by %s %s = %s (%s %s, merged into %q), want %s", kind, value, got.ID, got.GivenName, got.MRN, got.MergedInto, wantID)
			}
			if n := auditRows(t, db, tr.Org.ID, wantID) - before; n != 1 {
				t.Errorf("find by %s %s: %d audit records of the patient found, want 1", kind, value, n)
			}
			if n := auditRows(t, db, tr.Org.ID, "") - none; n != 0 {
				t.Errorf("find by %s %s: %d audit records about no patient, want 0", kind, value, n)
			}
		}
		find("nhs", "9990000018", minor.ID)
		find("mrn", other.MRN, other.ID)

		if err := ps.MergePatients(ctx, tr.Actor(crs.RoleAnalyst), major.ID, minor.ID, "duplicate"); err != nil {
			t.Fatal(err)
		}
		find("nhs", "999 000 0018", major.ID)
		find("mrn", minor.MRN, major.ID)
		find("nhs", "9990000026", other.ID)

		if _, err := ps.FindPatientByIdentifier(ctx, clerk, "nhs", "9990000034"); crs.ErrorCode(err) != crs.ENOTFOUND {
			t.Errorf("find by an NHS number nobody holds: %v, want ENOTFOUND", err)
		}
		if _, err := ps.FindPatientByIdentifier(ctx, tr.Actor(crs.RoleAdmin), "nhs", "9990000026"); crs.ErrorCode(err) != crs.EFORBIDDEN {
			t.Errorf("find by an administrator, whose role does not open records: %v, want EFORBIDDEN", err)
		}
	})
}

// TestRegisterAfterLookUpInOneCommand checks the NHS number's duplicate
// rule within one command that looks the number up first, as an inbound
// registration does: the look-up finds no one, the first registration
// with the number is made (without a second look on SQLite) and a second
// registration with it in the same command is still refused, the first
// having written since the look-up.
func TestRegisterAfterLookUpInOneCommand(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RLC")
		iface := tr.Actor(crs.RoleInterface)
		const number = "9990000018"
		var second error
		err := db.Write(ctx, iface, crs.ActRegisterPatient, func(tx crs.Tx) error {
			if _, err := tx.FindPatientByIdentifier("nhs", number); crs.ErrorCode(err) != crs.ENOTFOUND {
				t.Errorf("look-up before registering: %v, want not found", err)
			}
			if err := tx.InsertPatient(newPatient("First", "Fay", crs.NewDate(1970, 1, 2), number, "E1 6AN", "2")); err != nil {
				return err
			}
			second = tx.InsertPatient(newPatient("Second", "Sue", crs.NewDate(1971, 1, 2), number, "E1 6AN", "2"))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if crs.ErrorCode(second) != crs.ECONFLICT {
			t.Errorf("second registration with NHS number %s in the command: %v, want a conflict", number, second)
		}
		if _, err := store.NewPatientService(db).FindPatientByIdentifier(ctx, tr.Actor(crs.RoleClerk), "nhs", number); err != nil {
			t.Errorf("the first registration: %v", err)
		}
	})
}

// TestUpdateAfterLookUpInOneCommand checks demographics changed within
// one command that looks the patient up first, as an inbound update does
// (on SQLite the change starts from the look-up, not a second read): the
// address line changed in place on the record looked up is recorded as
// a change, and a second change after the first write starts from the
// record as written, version and all.
func TestUpdateAfterLookUpInOneCommand(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RLU")
		p := newPatient("Update", "Una", crs.NewDate(1970, 1, 2), "", "E1 6AN", "2")
		if err := store.NewPatientService(db).RegisterPatient(ctx, tr.Actor(crs.RoleClerk), p); err != nil {
			t.Fatal(err)
		}
		err := db.Write(ctx, tr.Actor(crs.RoleInterface), crs.ActAmendDemographics, func(tx crs.Tx) error {
			q, err := tx.FindPatientByIdentifier("mrn", p.MRN)
			if err != nil {
				return err
			}
			for _, line := range []string{"2 Low Street", "3 Mid Street"} {
				q.Address.Lines[0] = line
				q.Version = 0
				if err := tx.UpdatePatient(q); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := store.NewPatientService(db).FindPatient(ctx, tr.Actor(crs.RoleClerk), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Address.Lines[0] != "3 Mid Street" || got.Version != 3 {
			t.Errorf("after two changes: address %q, version %d; want 3 Mid Street, version 3", got.Address.Lines, got.Version)
		}
		var summaries []string
		rows, err := db.Reader().QueryContext(ctx, `SELECT summary FROM events WHERE org_id = $1 AND patient_id = $2 AND type = $3 ORDER BY id`, tr.Org.ID, p.ID, crs.EventPatientUpdated)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			summaries = append(summaries, s)
		}
		if len(summaries) != 2 || summaries[0] == "Demographics confirmed, nothing changed" || summaries[1] == "Demographics confirmed, nothing changed" {
			t.Errorf("update events: %q; want two changes", summaries)
		}
	})
}
