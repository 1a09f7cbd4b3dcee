package main

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditVerify sets up a trust from the command line, finds its audit
// chain intact, then alters a record behind OpenCRS's back (dropping the
// append-only trigger as the file's owner could) and finds it named,
// with exit code 1.
func TestAuditVerify(t *testing.T) {
	path, dsn := trustWithUser(t, "RAV", "admin", "admin", "a long and unusual passphrase")
	code, out, errOut := runCLI(t, "audit", "verify", "--db", dsn, "--ods", "RAV")
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify of an untouched trail: exit %d\n%s%s", code, out, errOut)
	}

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE audit SET what = 'nothing' WHERE seq = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("update of an audit record: err = %v, want refused as append-only", err)
	}
	var id string
	if err := raw.QueryRow(`SELECT id FROM audit WHERE seq = 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DROP TRIGGER audit_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE audit SET what = 'nothing' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "audit", "verify", "--db", dsn, "--ods", "RAV")
	if code != 1 {
		t.Errorf("verify of an altered trail: exit %d, want 1", code)
	}
	if !strings.Contains(out, "BROKEN seq 1 record "+id) || !strings.Contains(out, "altered") || !strings.Contains(errOut, "broken") {
		t.Errorf("verify does not name the altered record %s:\n%s%s", id, out, errOut)
	}
}

// trustWithUser makes a database with a trust and one user of the role,
// from the command line, and returns its file and DSN.
func trustWithUser(t *testing.T, ods, username, role, password string) (path, dsn string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "crs.db")
	dsn = "sqlite:" + path
	if code, _, errOut := runCLI(t, "trust", "add", "--db", dsn, "--ods", ods, "--name", "Test Trust "+ods); code != 0 {
		t.Fatalf("trust add: exit %d: %s", code, errOut)
	}
	if code, _, errOut := withStdin(t, password, "user", "add", "--db", dsn, "--ods", ods,
		"--username", username, "--name", "Test User", "--role", role); code != 0 {
		t.Fatalf("user add: exit %d: %s", code, errOut)
	}
	return path, dsn
}
