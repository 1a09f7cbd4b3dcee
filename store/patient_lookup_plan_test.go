package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientLookupPlanPostgres checks that PostgreSQL finds an inbound
// message's patient by hospital number through the (org_id, mrn) unique
// key, never by walking the trust's patients through another index of
// the trust's, on every table size: planned while the table is empty
// (as a new deployment's first messages plan it) and kept as the
// statement's generic plan while the table grows, and planned again on
// some thousands of patients, before and after ANALYZE, as a custom and
// as a generic plan.
func TestPatientLookupPlanPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tr := storetest.NewTrust(t, db, "RPL")
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// PREPARE and plan_cache_mode belong to the session: one connection.
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	check := func(t *testing.T, statement string) {
		t.Helper()
		plan := explain(t, conn, `EXPLAIN EXECUTE `+statement+`('`+tr.Org.ID+`', 'B0002500', 'mrn')`)
		if !strings.Contains(plan, "Index Scan using patients_org_id_mrn_key on patients") {
			t.Errorf("the look-up does not probe the (org_id, mrn) key:\n%s", plan)
		}
		// The patients are read by the key, and the one a former
		// identifier names by its id; nothing of theirs is sorted.
		for _, line := range strings.Split(plan, "\n") {
			reads := strings.Contains(line, " on patients ") || strings.HasSuffix(line, " on patients")
			if reads && !strings.Contains(line, "using patients_org_id_mrn_key on patients ") && !strings.Contains(line, "using patients_pkey on patients p ") ||
				strings.Contains(line, "Sort Key: patients.") {
				t.Errorf("the look-up walks the trust's patients (%s):\n%s", strings.TrimSpace(line), plan)
			}
		}
	}
	query := store.FindByIdentifierSQL["mrn"]
	exec(`ALTER TABLE patients SET (autovacuum_enabled = false)`)
	exec(`SET plan_cache_mode = force_generic_plan`)
	exec(`PREPARE empty(text, text, text) AS ` + query)
	t.Run("planned on the empty table", func(t *testing.T) { check(t, "empty") })

	// Every patient of the feed has the same family name and date of
	// birth, as a test feed's have.
	exec(`INSERT INTO patients (id, org_id, mrn, nhs_status, given_name, family_name, birth_date, gender, version, created_at, updated_at,
		family_norm, family_key, given_norm)
		SELECT 'p' || n, $1, 'B' || lpad(n::text, 7, '0'), '', 'ANNE', 'BENCH', '1980-01-01', 'F', 1, '2026-03-02T09:00:00Z', '2026-03-02T09:00:00Z',
		'BENCH', 'B520', 'ANNE' FROM generate_series(1, 5000) n`, tr.Org.ID)
	t.Run("planned on the empty table, kept on 5,000 patients", func(t *testing.T) { check(t, "empty") })

	exec(`PREPARE lookup(text, text, text) AS ` + query)
	for _, stats := range []string{"not analysed", "analysed"} {
		if stats == "analysed" {
			exec(`ANALYZE patients`)
			exec(`ANALYZE patient_identifiers`)
		}
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			t.Run("5,000 patients "+stats+", "+mode, func(t *testing.T) {
				exec(`SET plan_cache_mode = ` + mode)
				check(t, "lookup")
			})
		}
	}
}

// explain returns PostgreSQL's plan of a statement, one node a line.
func explain(t *testing.T, conn *sql.Conn, q string) string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
