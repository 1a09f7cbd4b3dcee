package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOrderCatalogueLoad loads a trust's test catalogue from the command
// line, and refuses a bad file with each bad line as FILE:LINE and
// nothing loaded.
func TestOrderCatalogueLoad(t *testing.T) {
	dsn, write := trustToLoad(t)
	good := write("tests.csv", "code,name,kind,specimen,destination\nFBC,Full blood count,pathology,Blood (EDTA),Pathology LIMS\nCXR,Chest X-ray,radiology,,Radiology RIS\n")
	code, out, errs := runCLI(t, "order", "catalogue", "load", "--db", dsn, "--ods", "RXX", good)
	if code != 0 || !strings.Contains(out, "2 tests in the catalogue of RXX, 2 added or changed") {
		t.Fatalf("load: %d %q %q", code, out, errs)
	}
	bad := write("bad.csv", "code,name,kind,specimen,destination\nFBC,Full blood count,pathology,,Pathology LIMS\nCXR,Chest X-ray,ultrasound,,Radiology RIS\n")
	code, _, errs = runCLI(t, "order", "catalogue", "load", "--db", dsn, "--ods", "RXX", bad)
	for _, want := range []string{bad + ":2: specimen", bad + ":3: kind"} {
		if code == 0 || !strings.Contains(errs, want) {
			t.Errorf("bad file: %d %q, want %q", code, errs, want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"order", "catalogue", "load", "--db", dsn, good}, "--ods is required"},
		{[]string{"order", "catalogue", "load", "--db", dsn, "--ods", "RXX"}, "give one FILE"},
		{[]string{"order", "catalogue", "load", "--db", dsn, "--ods", "RZZ", good}, "no trust with ODS code RZZ"},
	} {
		if code, _, errs := runCLI(t, tc.args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: %d %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}

// trustToLoad makes a database in a folder of the test's with trust RXX,
// and returns its DSN and how to write a file to load into the folder.
func trustToLoad(t *testing.T) (dsn string, write func(name, text string) string) {
	t.Helper()
	dir := t.TempDir()
	dsn = "sqlite:" + filepath.Join(dir, "crs.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("trust add: %d %s %s", code, out, errs)
	}
	return dsn, func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
}
