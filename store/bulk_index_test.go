package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
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
			for _, ix := range searchIndexes[:2] {
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
			for _, ix := range searchIndexes {
				if !hasIndex(t, db.Reader(), engine.name, ix) {
					t.Errorf("after Open, index %s is missing", ix)
				}
			}
		})
	}
}
