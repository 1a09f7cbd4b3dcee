package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientsAnalysedAfterRegistrations registers patients into a new
// database on PostgreSQL, as a new trust's first FHIR transactions do,
// and checks that the store analyses the patients table itself after
// the first hundred, rather than leaving a registration's look-ups of
// the NHS number planned for an empty table until autovacuum comes
// round; that the INSERT's check of a holder registered meanwhile is
// then planned, generic or custom, through patients_nhs; and that a
// hundred more registrations do not analyse it again.
func TestPatientsAnalysedAfterRegistrations(t *testing.T) {
	ctx := context.Background()
	db, conn := openPostgresSession(t) // skipped without PostgreSQL
	tr := storetest.NewTrust(t, db, "RPA")
	if _, err := conn.ExecContext(ctx, `ALTER TABLE patients SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	ps := store.NewPatientService(db)
	clerk := tr.Actor(crs.RoleClerk)
	var numbers []string
	for _, p := range importPatients(3*250, 40000) {
		if p.NHSNumber != "" {
			numbers = append(numbers, p.NHSNumber)
		}
	}
	register := func(from, n int) {
		t.Helper()
		for i := from; i < from+n; i++ {
			p := newPatient(fmt.Sprintf("Analyse%d", i), "Ann", crs.NewDate(1970, 5, 1), numbers[i], "E1 6AN", "2")
			if err := ps.RegisterPatient(ctx, clerk, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	register(0, 120)
	count, rows := waitAnalysed(t, conn, "patients")
	if count != 1 || rows < 100 {
		t.Fatalf("after 120 registrations: analysed %d times, statistics of %.0f rows; want once, of 100 or more", count, rows)
	}

	insert := make([]string, 36)
	for i := range insert {
		insert[i] = "''"
	}
	insert[0], insert[1], insert[3], insert[32], insert[33] = "'p9999'", "'"+tr.Org.ID+"'", "'"+numbers[5]+"'", "0", "1"
	if _, err := conn.ExecContext(ctx, `PREPARE registration AS `+store.InsertPatientClashSQL); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		if _, err := conn.ExecContext(ctx, `SET plan_cache_mode = `+mode); err != nil {
			t.Fatal(err)
		}
		plan := explain(t, conn, "EXPLAIN EXECUTE registration("+strings.Join(insert, ", ")+")")
		if !strings.Contains(plan, "Index Scan using patients_nhs on patients") || strings.Contains(plan, "Sort Key") {
			t.Errorf("%s: the holder of the NHS number is not read through patients_nhs:\n%s", mode, plan)
		}
	}

	register(120, 100)
	time.Sleep(200 * time.Millisecond)
	if again, _ := analyses(t, conn, "patients"); again != 1 {
		t.Errorf("100 more registrations against %.0f rows known: analysed %d times, want once", rows, again)
	}
}

// analyses says how many times PostgreSQL has analysed the table of the
// test's schema, and how many rows its statistics know of.
func analyses(t *testing.T, q store.Querier, table string) (count int64, rows float64) {
	t.Helper()
	if err := q.QueryRowContext(context.Background(), `SELECT s.analyze_count, c.reltuples FROM pg_stat_user_tables s
		JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = current_schema() AND s.relname = $1`, table).Scan(&count, &rows); err != nil {
		t.Fatal(err)
	}
	return count, rows
}

// waitAnalysed waits for the table's first analysis, which the store
// runs in the background after a command's commit, for half a minute at
// most, and returns analyses once it has run or the wait is over.
func waitAnalysed(t *testing.T, q store.Querier, table string) (count int64, rows float64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if count, rows = analyses(t, q, table); count > 0 || time.Now().After(deadline) {
			return count, rows
		}
	}
}
