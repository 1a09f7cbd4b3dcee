package store_test

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// patientIDTables lists the tables of the live schema that have a
// patient_id column.
func patientIDTables(t *testing.T, db *store.DB) []string {
	t.Helper()
	q := `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'patient_id'`
	if db.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'patient_id'`
	}
	rows, err := db.Reader().QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("list tables with patient_id: %v", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatalf("scan table name: %v", err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("list tables with patient_id: %v", err)
	}
	sort.Strings(tables)
	return tables
}

// unlisted returns the tables with a patient_id column that the merge
// neither moves nor deliberately leaves out.
func unlisted(tables []string) []string {
	var out []string
	for _, table := range tables {
		if _, left := store.PatientTablesLeftOut[table]; !left && !slices.Contains(store.PatientTables, table) {
			out = append(out, table)
		}
	}
	return out
}

// TestPatientTablesListed keeps merges whole: a table that holds rows of
// a patient must either move with the record on merge (and back on
// unmerge) or be left out on purpose, with the reason written down.
func TestPatientTablesListed(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB, clock *crs.FixedClock) {
		tables := patientIDTables(t, db)
		if len(tables) == 0 {
			t.Fatal("found no table with a patient_id column; the schema query reads nothing")
		}
		for _, table := range unlisted(tables) {
			t.Errorf("table %s has a patient_id column but is neither in store's patientTables (moved on merge) nor in patientTablesLeftOut (with the reason)", table)
		}
		for _, table := range store.PatientTables {
			if !slices.Contains(tables, table) {
				t.Errorf("patientTables lists %s, which has no patient_id column", table)
			}
			if _, left := store.PatientTablesLeftOut[table]; left {
				t.Errorf("table %s is both moved on merge and left out", table)
			}
		}
		for table, why := range store.PatientTablesLeftOut {
			if !slices.Contains(tables, table) {
				t.Errorf("patientTablesLeftOut lists %s, which has no patient_id column", table)
			}
			if why == "" {
				t.Errorf("table %s is left out of merges without a reason", table)
			}
		}

		t.Run("a new table with a patient_id column is caught", func(t *testing.T) {
			if err := db.ExecSchema(context.Background(), `CREATE TABLE allergies (id TEXT PRIMARY KEY, org_id TEXT NOT NULL, patient_id TEXT NOT NULL)`); err != nil {
				t.Fatalf("create table: %v", err)
			}
			if got := unlisted(patientIDTables(t, db)); !slices.Equal(got, []string{"allergies"}) {
				t.Errorf("unlisted tables = %v, want [allergies]", got)
			}
		})
	})
}
