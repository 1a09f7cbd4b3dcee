package golive_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestReconcile reconciles the imported sample: first all matched; then,
// after staff change a patient's name and cancel an appointment in
// OpenCRS, those two are told apart as changes since the import; and a
// waiting list entry lost and a clock start altered behind the write
// path are unaccounted for.
func TestReconcile(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		clock.Set(time.Date(2026, 9, 1, 3, 0, 0, 0, time.UTC))
		x, _, _ := importSample(t, db, 100)
		var orgID string
		if err := db.Reader().QueryRowContext(ctx, `SELECT id FROM organisations WHERE ods_code = 'R9V'`).Scan(&orgID); err != nil {
			t.Fatal(err)
		}
		rec, err := golive.Reconcile(ctx, x, db, db, store.NewReportSource(db), orgID)
		if err != nil {
			t.Fatal(err)
		}
		if n := rec.Unaccounted(); n != 0 || len(rec.Differences) != 0 {
			var b bytes.Buffer
			rec.WriteText(&b)
			t.Fatalf("straight after the import %d unaccounted:\n%s", n, b.String())
		}
		total := 0
		for _, s := range rec.Totals {
			total += s.InExtract
			if s.Matched != s.InExtract {
				t.Errorf("%s: %d matched of %d", s.Kind, s.Matched, s.InExtract)
			}
		}
		if want := 301 + 2 + 203 + 422 + 64 + 10; total != want {
			t.Errorf("reconciled %d records, want %d", total, want)
		}

		// Staff at work after go-live.
		clock.Advance(2 * time.Hour)
		tr := trustOf(t, db, orgID)
		clerk := tr.Actor(crs.RoleClerk)
		ps := store.NewPatientService(db)
		p, err := ps.FindPatientByIdentifier(ctx, clerk, crs.IdentifierLegacy, "1000001")
		if err != nil {
			p, err = ps.FindPatientByIdentifier(ctx, clerk, "mrn", "N9004407")
		}
		if err != nil {
			t.Fatal(err)
		}
		p.FamilyName = "Williams-Jones"
		if err := ps.UpdatePatient(ctx, clerk, p); err != nil {
			t.Fatal(err)
		}
		var apptID string
		if err := db.Reader().QueryRowContext(ctx, `SELECT record_id FROM migrated_rows WHERE file = 'appointments.csv' AND row_key = 'OP200000001'`).Scan(&apptID); err != nil {
			t.Fatal(err)
		}
		// A booked appointment of the extract, cancelled by the hospital.
		var booked string
		if err := db.Reader().QueryRowContext(ctx, `SELECT m.row_key FROM migrated_rows m JOIN appointments a ON a.id = m.record_id
			WHERE m.file = 'appointments.csv' AND a.status = 'booked' ORDER BY m.row_key LIMIT 1`).Scan(&booked); err != nil {
			t.Fatal(err)
		}
		if err := db.Reader().QueryRowContext(ctx, `SELECT record_id FROM migrated_rows WHERE file = 'appointments.csv' AND row_key = $1`, booked).Scan(&apptID); err != nil {
			t.Fatal(err)
		}
		if err := store.NewOutpatientService(db).CancelAppointment(ctx, clerk, apptID, crs.Cancellation{By: crs.CancelledByHospital, Reason: "clinic cancelled"}); err != nil {
			t.Fatal(err)
		}
		// Faults no change explains, on a pathway of a patient nobody touched.
		var ppi, start string
		if err := db.Reader().QueryRowContext(ctx, `SELECT ppi, clock_start FROM pathways WHERE patient_id NOT IN ($1,
			(SELECT patient_id FROM appointments WHERE id = $2)) ORDER BY ppi LIMIT 1`, p.ID, apptID).Scan(&ppi, &start); err != nil {
			t.Fatal(err)
		}
		err = db.Write(ctx, crs.SystemActor(orgID), crs.ActAdministerSettings, func(tx crs.Tx) error {
			for _, q := range []string{
				`DELETE FROM waiting_list_entries WHERE id = (SELECT record_id FROM migrated_rows WHERE row_key = 'WL3000001')`,
				`UPDATE rtt_events SET event_date = '2020-01-01' WHERE seq = 1 AND pathway_id = (SELECT id FROM pathways WHERE ppi = '` + ppi + `')`,
			} {
				if _, err := tx.(*store.Tx).Exec(q); err != nil {
					return err
				}
			}
			// An event about nothing: the faults are not a change to a record.
			return tx.Emit(&crs.Event{Type: "test.fault", Summary: "records altered behind the write path"}, "test")
		})
		if err != nil {
			t.Fatal(err)
		}

		rec, err = golive.Reconcile(ctx, x, db, db, store.NewReportSource(db), orgID)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		rec.WriteText(&b)
		out := b.String()
		if n := rec.Unaccounted(); n != 2 {
			t.Errorf("unaccounted = %d, want the 2 faults:\n%s", n, out)
		}
		changed := 0
		for _, s := range rec.Totals {
			changed += s.ChangedSinceImport
		}
		if changed != 2 {
			t.Errorf("changed since the import = %d, want 2 (a name, a cancellation):\n%s", changed, out)
		}
		for _, want := range []string{
			`waiting_list.csv line 2 (WL3000001): missing`,
			`(` + ppi + `): clock start: extract "` + start + `", OpenCRS "2020-01-01"` + "\n",
			`family name: extract "Williams", OpenCRS "Williams-Jones"; patient.updated by clerk.r9v`,
			booked + `): status: extract "booked", OpenCRS "cancelled"; appointment.cancelled by clerk.r9v`,
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the reconciliation does not say %q:\n%s", want, out)
			}
		}
	})
}

// trustOf is the test trust with the id, with its users.
func trustOf(t *testing.T, db *store.DB, orgID string) *storetest.Trust {
	t.Helper()
	tr := &storetest.Trust{Org: &crs.Organisation{ID: orgID}, Users: map[crs.Role]*crs.User{}}
	us, err := store.NewUserService(db).FindUsers(context.Background(), crs.SystemActor(orgID))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		tr.Users[u.Role] = u
	}
	return tr
}
