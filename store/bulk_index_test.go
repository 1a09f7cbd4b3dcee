package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// searchIndexes are the patient search indexes a load into an empty
// patient index builds after the load.
var searchIndexes = []string{"patients_family_norm", "patients_birth_date", "patients_family_key_norm"}

// hasIndex reports whether the database has the index.
func hasIndex(t *testing.T, q store.Querier, dialect, name string) bool {
	t.Helper()
	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = $1`
	if dialect == "postgres" {
		query = `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`
	}
	var n int
	if err := q.QueryRowContext(context.Background(), query, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// TestLoadBuildsSearchIndexesAfter checks that a load into an empty
// patient index writes the patients without the search indexes and
// builds them when it ends, that the duplicate rules still hold while
// they are gone, and that a load into a patient index that holds
// patients keeps them throughout.
func TestLoadBuildsSearchIndexesAfter(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RIX")
		clerk := tr.Actor(crs.RoleClerk)
		present := func() (n int) {
			for _, ix := range searchIndexes {
				if hasIndex(t, db.Reader(), db.Dialect(), ix) {
					n++
				}
			}
			return n
		}
		if n := present(); n != len(searchIndexes) {
			t.Fatalf("a new database has %d of the %d search indexes", n, len(searchIndexes))
		}

		// Into an empty patient index: gone while the batches commit.
		pats := importPatients(600, 0)
		var during []int
		n, err := db.LoadPatients(ctx, clerk, pats, crs.LoadOptions{BatchSize: 200, Progress: func(int, int) { during = append(during, present()) }})
		if err != nil || n != len(pats) {
			t.Fatalf("load: %d, %v", n, err)
		}
		if len(during) != 3 || during[0] != 0 || during[2] != 0 {
			t.Errorf("search indexes present after each batch of the first load: %v, want none", during)
		}
		if got := present(); got != len(searchIndexes) {
			t.Errorf("after the load %d of the %d search indexes, want all", got, len(searchIndexes))
		}
		found, err := store.NewPatientService(db).SearchPatients(ctx, clerk, crs.PatientQuery{FamilyName: pats[4].FamilyName, BirthDate: pats[4].BirthDate})
		if err != nil || found.Total == 0 {
			t.Errorf("search by name and date of birth after the load: %v, %v", found, err)
		}

		// Into a patient index that holds patients: there throughout, and
		// a duplicate NHS number still refuses its batch.
		more := importPatients(400, 50000)
		more[350].NHSNumber = pats[0].NHSNumber
		during = nil
		n, err = db.LoadPatients(ctx, clerk, more, crs.LoadOptions{BatchSize: 200, Progress: func(int, int) { during = append(during, present()) }})
		if crs.ErrorCode(err) != crs.ECONFLICT || n != 200 {
			t.Errorf("load with an NHS number already held = %d, %v; want 200 and a conflict", n, err)
		}
		if len(during) != 1 || during[0] != len(searchIndexes) {
			t.Errorf("search indexes present after each batch of the second load: %v, want all", during)
		}
	})
}

// TestOpenBuildsMissingSearchIndexes checks that a load killed before it
// built the search indexes again leaves them to the next Open.
func TestOpenBuildsMissingSearchIndexes(t *testing.T) {
	for _, engine := range []struct{ name, driver string }{{"sqlite", "sqlite"}, {"postgres", "pgx"}} {
		t.Run(engine.name, func(t *testing.T) {
			var dsn, conn string
			if engine.name == "sqlite" {
				conn = filepath.Join(t.TempDir(), "crs.db")
				dsn = "sqlite:" + conn
			} else {
				dsn = storetest.PostgresDSN(t)
				conn = dsn
			}
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			raw, err := sql.Open(engine.driver, conn)
			if err != nil {
				t.Fatal(err)
			}
			for _, ix := range append(searchIndexes[:2:2], "patients_nhs") {
				if _, err := raw.Exec(`DROP INDEX ` + ix); err != nil {
					t.Fatal(err)
				}
			}
			if hasIndex(t, raw, engine.name, searchIndexes[0]) {
				t.Fatalf("index %s not dropped", searchIndexes[0])
			}
			raw.Close()
			if db, err = store.Open(context.Background(), dsn); err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for _, ix := range append(searchIndexes, "patients_nhs") {
				if !hasIndex(t, db.Reader(), engine.name, ix) {
					t.Errorf("after Open, index %s is missing", ix)
				}
			}
		})
	}
}

// TestLoadWithoutNHSIndex checks a PMI load into an empty patient index,
// which on SQLite runs without the NHS number index and builds it after:
// an NHS number already held by a live record refuses its batch whether
// an earlier batch of the load brought it, another command registered
// it during the load, or a change gave it to a record during the load;
// a record that no longer holds its number does not; and the index is
// back when the load ends.
func TestLoadWithoutNHSIndex(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		ctx := context.Background()
		tr := storetest.NewTrust(t, db, "RNX")
		clerk := tr.Actor(crs.RoleClerk)
		ps := store.NewPatientService(db)
		sqlite := db.Dialect() == "sqlite"

		pats := importPatients(1500, 0) // NHS numbers on every third
		alone := newPatient("Alone", "Ada", crs.NewDate(1960, 2, 3), "", "E1 6AN", "2")
		changed := newPatient("Changed", "Cora", crs.NewDate(1961, 3, 4), "", "E1 6AN", "2")
		otherNHS := importPatients(9, 90000)
		// Registered and changed by other commands after the first batch.
		alone.NHSNumber, changed.NHSNumber = otherNHS[3].NHSNumber, ""
		var during []bool
		batches := 0
		progress := func(int, int) {
			batches++
			during = append(during, hasIndex(t, db.Reader(), db.Dialect(), "patients_nhs"))
			if batches != 1 {
				return
			}
			if err := ps.RegisterPatient(ctx, clerk, alone); err != nil {
				t.Errorf("register during the load: %v", err)
			}
			if err := ps.RegisterPatient(ctx, clerk, changed); err != nil {
				t.Errorf("register during the load: %v", err)
			}
			changed.NHSNumber = otherNHS[6].NHSNumber
			if err := ps.UpdatePatient(ctx, clerk, changed); err != nil {
				t.Errorf("give an NHS number during the load: %v", err)
			}
			// A second registration of a number the load brought is refused
			// by its own check, which reads the table meanwhile.
			twin := newPatient("Twin", "Tia", crs.NewDate(1962, 4, 5), pats[0].NHSNumber, "E1 6AN", "2")
			if err := ps.RegisterPatient(ctx, clerk, twin); crs.ErrorCode(err) != crs.ECONFLICT {
				t.Errorf("register an NHS number the load holds: %v, want a conflict", err)
			}
		}
		// The load comes in parts, as the benchmark's does.
		build, err := db.DeferPatientSearchIndexes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.LoadPatients(ctx, clerk, pats[:500], crs.LoadOptions{BatchSize: 250, Progress: progress})
		if err != nil || n != 500 {
			t.Fatalf("first part: %d, %v", n, err)
		}
		if sqlite && (len(during) != 2 || during[0] || during[1]) {
			t.Errorf("NHS number index present after each batch: %v, want absent on SQLite", during)
		}

		for _, c := range []struct {
			name string
			nhs  string
			mrn  string
		}{
			{"an earlier batch of the load", pats[3].NHSNumber, pats[3].MRN},
			{"a registration during the load", alone.NHSNumber, alone.MRN},
			{"a change during the load", changed.NHSNumber, changed.MRN},
		} {
			part := importPatients(300, 70000+1000*batches)
			batches++
			part[299].NHSNumber = c.nhs
			n, err := db.LoadPatients(ctx, clerk, part, crs.LoadOptions{BatchSize: 150})
			if crs.ErrorCode(err) != crs.ECONFLICT || n != 150 || !strings.Contains(err.Error(), "patient at index 299") || !strings.Contains(err.Error(), c.mrn) {
				t.Errorf("a batch bringing an NHS number held since %s: %d, %v; want 150 and a conflict naming index 299 and %s", c.name, n, err, c.mrn)
			}
		}

		// A record that gave its number up no longer holds it.
		freed := changed.NHSNumber
		changed.NHSNumber = ""
		if err := ps.UpdatePatient(ctx, clerk, changed); err != nil {
			t.Fatal(err)
		}
		last := importPatients(3, 80000)
		last[0].NHSNumber = freed
		if n, err := db.LoadPatients(ctx, clerk, last, crs.LoadOptions{}); err != nil || n != 3 {
			t.Errorf("a batch bringing a number given up during the load: %d, %v", n, err)
		}
		if sqlite && hasIndex(t, db.Reader(), db.Dialect(), "patients_nhs") {
			t.Errorf("the NHS number index is back before the last part's build")
		}
		if err := build(); err != nil {
			t.Fatal(err)
		}
		if !hasIndex(t, db.Reader(), db.Dialect(), "patients_nhs") {
			t.Errorf("after the load the NHS number index is missing")
		}
		got, err := ps.FindPatientByIdentifier(ctx, clerk, "nhs", freed)
		if err != nil || got.ID != last[0].ID {
			t.Errorf("find by the freed number after the load = %v, %v; want the loaded patient", got, err)
		}
	})
}
