package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/opencrs/crs/store"
	"github.com/opencrs/crs/store/storetest"
)

// TestPatientLookupPlanPostgres checks that PostgreSQL reads the patient
// of an inbound message by a key, never by walking the trust's patients
// through another index of the trust's: the look-up by hospital number
// through the (org_id, mrn) unique key, by NHS number through its index, and the read (locking) and the
// write of a patient by id through the primary key; a registration's
// INSERT looks for a live holder of its NHS number through its index too. Each is planned
// while the table is empty (as a new deployment's first messages plan
// them) and kept as the statement's generic plan while the table grows
// to some thousands of patients, and planned again on them, before and
// after ANALYZE, as a custom and as a generic plan.
func TestPatientLookupPlanPostgres(t *testing.T) {
	ctx := context.Background()
	db, conn := openPostgresSession(t)
	tr := storetest.NewTrust(t, db, "RPL")
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	org := "'" + tr.Org.ID + "'"
	update := make([]string, 34)
	for i := range update {
		update[i] = "''"
	}
	update[29], update[30], update[32], update[33] = "0", "2", "'p2500'", org
	// A new patient's 36 columns, its NHS number one of the feed's.
	insert := make([]string, 36)
	for i := range insert {
		insert[i] = "''"
	}
	insert[0], insert[1], insert[3], insert[32], insert[33] = "'p9999'", org, "'9990000018'", "0", "1"
	statements := []struct {
		name, query, types, args, key string
	}{
		{"look-up by hospital number", store.FindByIdentifierSQL["mrn"], "text, text, text", org + ", 'B0002500', 'mrn'", "patients_org_id_mrn_key"},
		{"look-up by NHS number", store.FindByIdentifierSQL["nhs"], "text, text, text", org + ", '9990000018', 'nhs'", "patients_nhs"},
		{"holders of an NHS number", store.NHSProbeSQL, "text, text", org + ", '9990000018'", "patients_nhs"},
		{"registration's check of the holder", store.InsertPatientClashSQL, "", strings.Join(insert, ", "), "patients_nhs"},
		{"read by id", store.GetPatientSQL, "text, text", "'p2500', " + org, "patients_pkey"},
		{"write by id", store.UpdatePatientSQL, "", strings.Join(update, ", "), "patients_pkey"},
	}
	check := func(t *testing.T, prepared string) {
		for i, s := range statements {
			plan := explain(t, conn, fmt.Sprintf("EXPLAIN EXECUTE %s%d(%s)", prepared, i, s.args))
			if !strings.Contains(plan, "Index Scan using "+s.key+" on patients") {
				t.Errorf("%s does not probe %s:\n%s", s.name, s.key, plan)
			}
			// The patients are read by the key (and a former identifier's
			// holder by id); none of theirs is sorted.
			for _, line := range strings.Split(plan, "\n") {
				reads := strings.Contains(line, "Scan") && (strings.Contains(line, " on patients ") || strings.HasSuffix(line, " on patients"))
				if reads && !strings.Contains(line, "using "+s.key+" on patients ") && !strings.Contains(line, "using patients_pkey on patients p ") ||
					strings.Contains(line, "Sort Key: patients.") {
					t.Errorf("%s walks the trust's patients (%s):\n%s", s.name, strings.TrimSpace(line), plan)
				}
			}
		}
	}
	prepare := func(name string) {
		for i, s := range statements {
			types := ""
			if s.types != "" {
				types = "(" + s.types + ")"
			}
			exec(fmt.Sprintf("PREPARE %s%d%s AS %s", name, i, types, s.query))
		}
	}
	exec(`ALTER TABLE patients SET (autovacuum_enabled = false)`)
	exec(`SET plan_cache_mode = force_generic_plan`)
	prepare("empty")
	t.Run("planned on the empty table", func(t *testing.T) { check(t, "empty") })

	// Every patient of the feed has the same family name and date of
	// birth, as a test feed's have.
	exec(`INSERT INTO patients (id, org_id, mrn, nhs_status, given_name, family_name, birth_date, gender, version, created_at, updated_at,
		family_norm, family_key, given_norm)
		SELECT 'p' || n, $1, 'B' || lpad(n::text, 7, '0'), '', 'ANNE', 'BENCH', '1980-01-01', 'F', 1, '2026-03-02T09:00:00Z', '2026-03-02T09:00:00Z',
		'BENCH', 'B520', 'ANNE' FROM generate_series(1, 5000) n`, tr.Org.ID)
	t.Run("planned on the empty table, kept on 5,000 patients", func(t *testing.T) { check(t, "empty") })

	prepare("full")
	for _, stats := range []string{"not analysed", "analysed"} {
		if stats == "analysed" {
			exec(`ANALYZE patients`)
			exec(`ANALYZE patient_identifiers`)
		}
		for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
			t.Run("5,000 patients "+stats+", "+mode, func(t *testing.T) {
				exec(`SET plan_cache_mode = ` + mode)
				check(t, "full")
			})
		}
	}
}

// openPostgresSession opens a database on a new schema of PostgreSQL
// (skipping the test without it) and a connection of its own to the
// schema, for the statements that belong to a session (PREPARE,
// plan_cache_mode); both are closed when the test ends.
func openPostgresSession(t *testing.T) (*store.DB, *sql.Conn) {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return db, conn
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
