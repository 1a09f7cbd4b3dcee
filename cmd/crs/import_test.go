package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// legacySample is the shared sample extract, or the test is skipped.
func legacySample(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "data", "legacy-sample")
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		t.Skipf("the shared sample extract is not here (%v)", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// engineDSNs runs f with the DSN of a fresh database on each engine:
// SQLite always, PostgreSQL (a schema of its own) when CRS_TEST_POSTGRES
// is set.
func engineDSNs(t *testing.T, f func(t *testing.T, newDSN func() string)) {
	t.Run("sqlite", func(t *testing.T) {
		n := 0
		f(t, func() string {
			n++
			return "sqlite:" + filepath.Join(t.TempDir(), fmt.Sprintf("crs%d.db", n))
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("CRS_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("CRS_TEST_POSTGRES is not set: PostgreSQL skipped")
		}
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin.Close() })
		f(t, func() string {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			schema := "t_" + hex.EncodeToString(b)
			if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
			u, _ := url.Parse(dsn)
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		})
	})
}

// buildCRS builds the crs binary into a temporary folder.
func buildCRS(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "crs")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build crs: %v\n%s", err, out)
	}
	return bin
}

func crsRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("crs %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// fingerprint is what a database holds of a trust's migrated records,
// without the ids and times that differ from one run to another.
func fingerprint(t *testing.T, dsn string) string {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b bytes.Buffer
	for _, q := range []string{
		`SELECT mrn || '|' || nhs_number || '|' || family_name || '|' || given_name || '|' || birth_date || '|' || death_time FROM patients`,
		`SELECT i.kind || '|' || i.value || '|' || p.mrn FROM patient_identifiers i JOIN patients p ON p.id = i.patient_id`,
		`SELECT code || '|' || name FROM gp_practices`,
		`SELECT l.kind || '|' || l.code || '|' || COALESCE(pl.code, '') FROM locations l LEFT JOIN locations pl ON pl.id = l.parent_id`,
		`SELECT c.code || '|' || c.sessions FROM clinics c`,
		`SELECT p.mrn || '|' || r.received_on || '|' || r.treatment_function || '|' || r.status || '|' || COALESCE(pw.ppi, '') FROM referrals r JOIN patients p ON p.id = r.patient_id LEFT JOIN pathways pw ON pw.id = r.pathway_id`,
		`SELECT ppi || '|' || clock_state || '|' || clock_start || '|' || clock_stop || '|' || last_status FROM pathways`,
		`SELECT pw.ppi || '|' || e.seq || '|' || e.event_date || '|' || e.kind || '|' || e.status FROM rtt_events e JOIN pathways pw ON pw.id = e.pathway_id`,
		`SELECT c.code || '|' || s.start_at || '|' || s.end_at FROM slots s JOIN clinics c ON c.id = s.clinic_id`,
		`SELECT p.mrn || '|' || a.start_at || '|' || a.status || '|' || a.live || '|' || a.overbooked FROM appointments a JOIN patients p ON p.id = a.patient_id`,
		`SELECT pw.ppi || '|' || w.status || '|' || w.decided_on FROM waiting_list_entries w JOIN pathways pw ON pw.id = w.pathway_id`,
		`SELECT s.visit_number || '|' || b.code || '|' || p.mrn FROM spells s JOIN locations b ON b.id = s.bed_id JOIN patients p ON p.id = s.patient_id`,
		`SELECT file || '|' || row_key || '|' || line FROM migrated_rows`,
		// A migration appends one event a command, whose batches a crash
		// moves: each row names an event of the migration with its audit.
		`SELECT type || '|' || user_id || '|' || summary FROM events WHERE type <> 'migration.loaded'`,
		`SELECT m.file || '|' || m.row_key || '|' || e.type || '|' || e.user_id || '|' || (SELECT COUNT(*) FROM audit a WHERE a.event_id = e.id AND a.user_id = 'migration')
			FROM migrated_rows m JOIN events e ON e.id = m.event_id`,
	} {
		rows, err := db.Reader().QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var lines []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, s)
		}
		rows.Close()
		sort.Strings(lines)
		fmt.Fprintf(&b, "%s\n%d rows\n%s\n", q, len(lines), strings.Join(lines, "\n"))
	}
	return b.String()
}

// TestImportLegacyCrash kills `crs import legacy` with SIGKILL at random
// points several times and runs it again each time; when it finishes, the
// database and the report are those of an import that was never
// interrupted, and every row was loaded once.
func TestImportLegacyCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dir := legacySample(t)
	bin := buildCRS(t)
	engineDSNs(t, func(t *testing.T, newDSN func() string) {
		work := t.TempDir()
		// An uninterrupted import.
		clean := newDSN()
		crsRun(t, bin, "trust", "add", "--db", clean, "--ods", "R9V", "--name", "Test Trust")
		began := time.Now()
		crsRun(t, bin, "import", "legacy", dir, "--db", clean, "--ods", "R9V", "--batch", "5", "--report", filepath.Join(work, "clean.json"))
		took := time.Since(began)

		dsn := newDSN()
		crsRun(t, bin, "trust", "add", "--db", dsn, "--ods", "R9V", "--name", "Test Trust")
		// A kill before the import has loaded anything (while it starts
		// and opens the database) tests nothing: after one, the kills fall
		// later. On a quiet machine the start is most of a whole import.
		var lo time.Duration
		total := migratedRows(t, clean)
		report := filepath.Join(work, "crashed.json")
		kills, midway := 0, 0 // midway: kills that left some rows loaded and some not
		for attempt := 0; attempt < 16 && (attempt < 8 || midway < 2); attempt++ {
			cmd := exec.Command(bin, "import", "legacy", dir, "--db", dsn, "--ods", "R9V", "--batch", "5", "--report", report)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill it at a random point of a quarter of the time a whole
			// import takes, from lo.
			n, _ := rand.Int(rand.Reader, big.NewInt(int64(took/4/time.Millisecond)+1))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("import failed: %v\n%s", err, out.String())
				}
				attempt = 99
			case <-time.After(lo + time.Duration(n.Int64())*time.Millisecond):
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				kills++
				switch n := migratedRows(t, dsn); {
				case n == 0:
					lo += took / 8
				case n < total:
					midway++
				}
			}
		}
		crsRun(t, bin, "import", "legacy", dir, "--db", dsn, "--ods", "R9V", "--report", report)
		t.Logf("killed the import %d times, %d of them part of the way through", kills, midway)
		if midway < 2 {
			t.Errorf("the import was killed part of the way through %d times: it finished too soon to test a crash", midway)
		}
		want, _ := os.ReadFile(filepath.Join(work, "clean.json"))
		got, _ := os.ReadFile(report)
		if !bytes.Equal(got, want) {
			t.Errorf("the report after the crashes differs from an uninterrupted run's")
		}
		if a, b := fingerprint(t, dsn), fingerprint(t, clean); a != b {
			t.Errorf("the database after the crashes differs from an uninterrupted run's:\n%s", firstDiff(a, b))
		}
	})
}

// firstDiff shows the first line where two texts differ.
func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}

// migratedRows counts the rows of legacy extracts loaded into a database.
func migratedRows(t *testing.T, dsn string) int {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM migrated_rows`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestImportAndReconcileCLI runs crs import legacy (dry run, then for
// real with both reports) and crs golive reconcile, whose exit status is
// 0 while everything is accounted for and 1 once a record is lost.
func TestImportAndReconcileCLI(t *testing.T) {
	dir := legacySample(t)
	engineDSNs(t, func(t *testing.T, newDSN func() string) {
		ctx := context.Background()
		work := t.TempDir()
		dsn := newDSN()
		call := func(args ...string) (int, string) {
			var out, errs bytes.Buffer
			code := run(ctx, args, &out, &errs)
			return code, out.String() + errs.String()
		}
		if code, out := call("trust", "add", "--db", dsn, "--ods", "R9V", "--name", "Test Trust"); code != 0 {
			t.Fatal(out)
		}
		code, out := call("import", "legacy", dir, "--dry-run", "--report", filepath.Join(work, "dry.json"))
		if code != 0 || !strings.Contains(out, "would load (dry run): 301 live patients (2 merged records), 422 appointments (2 out of slot)") {
			t.Fatalf("dry run: exit %d\n%s", code, out)
		}
		if code, out := call("import", "legacy", dir, "--db", dsn, "--ods", "R9X"); code != 1 || !strings.Contains(out, "the extract in "+dir+" is of trust R9V, not R9X") {
			t.Errorf("import into another trust: exit %d\n%s", code, out)
		}
		code, out = call("import", "legacy", dir, "--db", dsn, "--ods", "R9V", "--report", filepath.Join(work, "r.json"), "--html", filepath.Join(work, "r.html"))
		if code != 0 || !strings.Contains(out, "import: 2044 of 2044 rows (100%)") {
			t.Fatalf("import: exit %d\n%s", code, out)
		}
		dry, _ := os.ReadFile(filepath.Join(work, "dry.json"))
		loaded, _ := os.ReadFile(filepath.Join(work, "r.json"))
		if !bytes.Equal(dry, loaded) {
			t.Errorf("the report of the import differs from the dry run's")
		}
		page, _ := os.ReadFile(filepath.Join(work, "r.html"))
		for _, want := range []string{`<h3 id="bed_double_occupied">bed_double_occupied (2)</h3>`, `<td>patients.csv</td><td class="n">42</td>`,
			`<code>1000055,9995794283,01,N9408519,Dean,Barbara,Ms,2001-08-16,,2,99,70 Hill View,,Sandcombe,ST15 6LZ,07700 900360,B80910,</code>`, `OP200000062`} {
			if !bytes.Contains(page, []byte(want)) {
				t.Errorf("the HTML report has no %q", want)
			}
		}
		code, out = call("golive", "reconcile", dir, "--db", dsn, "--ods", "R9V")
		if code != 0 || !strings.Contains(out, "appointments                  422      422                     0            0") {
			t.Fatalf("reconcile after the import: exit %d\n%s", code, out)
		}
		db, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		var orgID string
		db.Reader().QueryRowContext(ctx, `SELECT id FROM organisations WHERE ods_code = 'R9V'`).Scan(&orgID)
		err = db.Write(ctx, crs.SystemActor(orgID), crs.ActAdministerSettings, func(tx crs.Tx) error {
			if _, err := tx.(*store.Tx).Exec(`DELETE FROM bed_stays WHERE spell_id IN (SELECT record_id FROM migrated_rows WHERE row_key = 'IP4000002')`); err != nil {
				return err
			}
			if _, err := tx.(*store.Tx).Exec(`DELETE FROM episodes WHERE spell_id IN (SELECT record_id FROM migrated_rows WHERE row_key = 'IP4000002')`); err != nil {
				return err
			}
			if _, err := tx.(*store.Tx).Exec(`DELETE FROM spells WHERE id IN (SELECT record_id FROM migrated_rows WHERE row_key = 'IP4000002')`); err != nil {
				return err
			}
			return tx.Emit(&crs.Event{Type: "test.fault", Summary: "a spell lost"}, "test")
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, out = call("golive", "reconcile", dir, "--db", dsn, "--ods", "R9V")
		if code != 1 || !strings.Contains(out, "inpatients.csv line 2 (IP4000002): missing") || !strings.Contains(out, "1 records of the extract are unaccounted for") {
			t.Errorf("reconcile after losing a spell: exit %d\n%s", code, out)
		}
	})
}
