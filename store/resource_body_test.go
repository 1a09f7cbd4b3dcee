package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestResourceBodyOnce checks that a version's body is kept once (in
// fhir_current while the version is current, in its version row once
// superseded) and read back the same by vread and history, and that
// migration 0104 moves rows written the old way (every body in its
// version row too) to that shape.
func TestResourceBodyOnce(t *testing.T) {
	engines := map[string]func(t *testing.T) (dsn, driver, raw string){
		"sqlite": func(t *testing.T) (string, string, string) {
			path := filepath.Join(t.TempDir(), "crs.db")
			return "sqlite:" + path, "sqlite", path
		},
		"postgres": func(t *testing.T) (string, string, string) {
			dsn := storetest.PostgresDSN(t)
			return dsn, "pgx", dsn
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dsn, driver, raw := engines[name](t)
			open := func() *store.DB {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				db.Clock = crs.NewFixedClock(storetest.Epoch)
				return db
			}
			db := open()
			tr := storetest.NewTrust(t, db, "RBO")
			doctor := tr.Actor(crs.RoleDoctor)
			bodies := []string{`{"v":1}`, `{"v":2}`, `{"v":3}`}
			for i, b := range bodies {
				r := &crs.Resource{Type: "Observation", ID: "o1", Version: i + 1, Body: []byte(b)}
				if err := db.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResource(r, nil) }); err != nil {
					t.Fatal(err)
				}
			}
			newOnly := &crs.Resource{Type: "Observation", ID: "o2", Version: 1, Body: []byte(`{"only":1}`)}
			if err := db.Write(ctx, doctor, crs.ActRecordClinical, func(tx crs.Tx) error { return tx.PutResources([]*crs.Resource{newOnly}, [][]crs.ResourceIndexRow{nil}) }); err != nil {
				t.Fatal(err)
			}
			check := func(db *store.DB, when string) {
				t.Helper()
				var empty, kept int
				if err := db.Reader().QueryRowContext(ctx, `SELECT
					COALESCE(SUM(CASE WHEN body = '' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN body <> '' THEN 1 ELSE 0 END), 0)
					FROM fhir_versions WHERE org_id = $1`, tr.Org.ID).Scan(&empty, &kept); err != nil {
					t.Fatal(err)
				}
				if empty != 2 || kept != 2 {
					t.Errorf("%s: %d version rows without a body, %d with; want 2 (the current versions) and 2 (those superseded)", when, empty, kept)
				}
				svc := store.NewResourceService(db)
				for i, b := range bodies {
					r, err := svc.ReadResource(ctx, doctor, "Observation", "o1", i+1)
					if err != nil || string(r.Body) != b || r.Version != i+1 {
						t.Errorf("%s: version %d = %+v, %v; want body %s", when, i+1, r, err, b)
					}
				}
				if r, err := svc.ReadResource(ctx, doctor, "Observation", "o2", 1); err != nil || string(r.Body) != `{"only":1}` {
					t.Errorf("%s: o2 version 1 = %+v, %v", when, r, err)
				}
				hist, err := svc.ResourceHistory(ctx, doctor, "Observation", "", time.Time{}, "", 10)
				if err != nil || len(hist) != 4 {
					t.Fatalf("%s: history = %v, %v", when, hist, err)
				}
				want := []string{`{"only":1}`, `{"v":3}`, `{"v":2}`, `{"v":1}`}
				for i, r := range hist {
					if string(r.Body) != want[i] {
						t.Errorf("%s: history[%d] = %s, want %s", when, i, r.Body, want[i])
					}
				}
			}
			check(db, "written")
			db.Close()

			// Rows as the code before migration 0104 wrote them: the
			// current version's body in its version row as well.
			rdb, err := sql.Open(driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{
				`UPDATE fhir_versions SET body = (SELECT c.body FROM fhir_current c WHERE c.org_id = fhir_versions.org_id
					AND c.type = fhir_versions.type AND c.id = fhir_versions.id) WHERE body = ''`,
				// 0104 rebuilds the SQLite table as it was then: the
				// columns added after it (0149) are added again after it.
				`DELETE FROM schema_migrations WHERE version IN (104, 149)`,
			} {
				if _, err := rdb.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
			var full int
			if err := rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM fhir_versions WHERE body = ''`).Scan(&full); err != nil || full != 0 {
				t.Fatalf("old shape: %d rows without a body, %v", full, err)
			}
			rdb.Close()
			db = open()
			defer db.Close()
			check(db, "migrated")
		})
	}
}
