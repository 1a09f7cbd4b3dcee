package golive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// importSample loads the shared sample extract into a new trust of db and
// returns the extract, the importer and the report made after loading.
func importSample(t *testing.T, db *store.DB, batch int) (*golive.Extract, *golive.Importer, *golive.Report) {
	t.Helper()
	dir := sampleDir(t)
	tr := storetest.NewTrust(t, db, "R9V")
	x, err := golive.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	im := &golive.Importer{Store: db, Log: db, OrgID: tr.Org.ID, BatchSize: batch}
	n, err := im.Load(context.Background(), x)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if want := accepted(x); n != want {
		t.Errorf("loaded %d rows, want the %d accepted rows", n, want)
	}
	rep, err := golive.ReportAfterLoad(context.Background(), x, store.NewReportSource(db), db, tr.Org.ID)
	if err != nil {
		t.Fatal(err)
	}
	return x, im, rep
}

// accepted counts the accepted rows of an extract, its own row aside.
func accepted(x *golive.Extract) int {
	n := 0
	for _, f := range golive.Files[1:] {
		for _, r := range x.File(f).Rows {
			if r.Accepted() {
				n++
			}
		}
	}
	return n
}

// records counts the accepted rows of an extract that became records of
// their own: all but its own row, the RTT events and the clinic sessions,
// which are loaded with their pathway or clinic.
func records(x *golive.Extract) int {
	n := accepted(x)
	for _, f := range []string{golive.FileEvents, golive.FileSessions} {
		for _, r := range x.File(f).Rows {
			if r.Accepted() {
				n--
			}
		}
	}
	return n
}

func count(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestImportSampleReproducesExpected(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		clock.Set(time.Date(2026, 9, 1, 3, 0, 0, 0, time.UTC))
		x, im, rep := importSample(t, db, 50)
		compareReport(t, rep, expected(t, sampleDir(t)))

		// What OpenCRS holds is what the report says was accepted.
		for _, c := range []struct {
			query string
			want  int
		}{
			{`SELECT COUNT(*) FROM patients`, rep.Patients.Live},
			{`SELECT COUNT(*) FROM patient_identifiers WHERE kind = 'legacy'`, rep.Patients.Accepted},
			{`SELECT COUNT(*) FROM gp_practices`, rep.Files.Values[golive.FileGPPractices].Accepted},
			{`SELECT COUNT(*) FROM referrals`, rep.Files.Values[golive.FileReferrals].Accepted},
			{`SELECT COUNT(*) FROM pathways`, rep.Files.Values[golive.FilePathways].Accepted},
			{`SELECT COUNT(*) FROM rtt_events`, rep.Files.Values[golive.FileEvents].Accepted},
			{`SELECT COUNT(*) FROM clinics`, rep.Files.Values[golive.FileClinics].Accepted},
			{`SELECT COUNT(*) FROM appointments`, rep.Appointments.Accepted},
			{`SELECT COUNT(*) FROM waiting_list_entries`, rep.WaitingList.Accepted},
			{`SELECT COUNT(*) FROM spells WHERE status = 'admitted'`, rep.Inpatients.Accepted},
			{`SELECT COUNT(*) FROM bed_stays WHERE is_current = 1`, rep.Inpatients.Accepted},
			{`SELECT COUNT(*) FROM migrated_rows`, records(x)},
			// Each row's record of its load names its command's event,
			// which has its one audit record.
			{`SELECT COUNT(*) FROM migrated_rows m JOIN events e ON e.id = m.event_id AND e.type = 'migration.loaded' AND e.user_id = 'migration'
				JOIN audit a ON a.event_id = e.id AND a.user_id = 'migration'`, records(x)},
		} {
			if got := count(t, db, c.query); got != c.want {
				t.Errorf("%s = %d, want %d", c.query, got, c.want)
			}
		}

		checkMigrationEvents(t, db, records(x))

		// SQLite wrote the load's batches without foreign key checks:
		// every row still refers to a record that exists.
		if db.Dialect() == "sqlite" {
			if n := count(t, db, `SELECT COUNT(*) FROM pragma_foreign_key_check`); n != 0 {
				t.Errorf("%d rows refer to records that do not exist after the load", n)
			}
		}

		// Run again, it loads nothing more.
		n, err := im.Load(context.Background(), x)
		if err != nil || n != 0 {
			t.Errorf("second load = %d rows, %v; want 0", n, err)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM migrated_rows`); got != records(x) {
			t.Errorf("after a second run %d migrated rows, want %d", got, records(x))
		}
	})
}

// TestImportIntoNoTrust checks that a load into a trust that does not
// exist is refused before any row is written.
func TestImportIntoNoTrust(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		x, err := golive.Read(sampleDir(t))
		if err != nil {
			t.Fatal(err)
		}
		im := &golive.Importer{Store: db, Log: db, OrgID: "no-such-trust", BatchSize: 50}
		n, err := im.Load(context.Background(), x)
		if crs.ErrorCode(err) != crs.ENOTFOUND || n != 0 {
			t.Fatalf("load into no trust = %d rows, %v; want 0 and not found", n, err)
		}
		if got := count(t, db, `SELECT COUNT(*) FROM patients`); got != 0 {
			t.Errorf("%d patients written", got)
		}
	})
}

// firstLineDiff shows the first line where two texts differ.
func firstLineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines against %d", len(al), len(bl))
}

// checkMigrationEvents checks that a migration appended one event and one
// audit record for each command, not for each row, and that each event
// names exactly the rows of its command by file and key.
func checkMigrationEvents(t *testing.T, db *store.DB, rows int) {
	t.Helper()
	ctx := context.Background()
	want := map[string]map[string]bool{} // event id -> file NUL key
	q, err := db.Reader().QueryContext(ctx, `SELECT event_id, file, row_key FROM migrated_rows`)
	if err != nil {
		t.Fatal(err)
	}
	for q.Next() {
		var ev, file, key string
		if err := q.Scan(&ev, &file, &key); err != nil {
			t.Fatal(err)
		}
		if want[ev] == nil {
			want[ev] = map[string]bool{}
		}
		want[ev][file+"\x00"+key] = true
	}
	q.Close()
	q, err = db.Reader().QueryContext(ctx, `SELECT e.id, e.data, (SELECT COUNT(*) FROM audit a WHERE a.event_id = e.id)
		FROM events e WHERE e.type = 'migration.loaded'`)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	events := 0
	for q.Next() {
		var id, data string
		var audits int
		if err := q.Scan(&id, &data, &audits); err != nil {
			t.Fatal(err)
		}
		events++
		if audits != 1 {
			t.Errorf("migration event %s has %d audit records, want 1", id, audits)
		}
		var batch struct {
			Files []struct {
				File string
				Rows int
				Keys []string
			}
		}
		if err := json.Unmarshal([]byte(data), &batch); err != nil {
			t.Fatalf("event %s data %s: %v", id, data, err)
		}
		got := map[string]bool{}
		for _, f := range batch.Files {
			if f.Rows != len(f.Keys) {
				t.Errorf("event %s: %s has %d rows and %d keys", id, f.File, f.Rows, len(f.Keys))
			}
			for _, k := range f.Keys {
				got[f.File+"\x00"+k] = true
			}
		}
		if len(got) != len(want[id]) {
			t.Errorf("event %s names %d rows, %d rows name it", id, len(got), len(want[id]))
		}
		for k := range got {
			if !want[id][k] {
				t.Errorf("event %s names row %q, whose record names another event", id, k)
			}
		}
	}
	if events != len(want) || events == 0 || events >= rows {
		t.Errorf("%d migration events for %d rows in %d commands; want one a command", events, rows, len(want))
	}
}
