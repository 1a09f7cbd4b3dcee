package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTerminologyLoad loads a trust's code lists from the command line: a
// good CSV and TSV, a bad file refused with each bad line as FILE:LINE and
// nothing loaded, the refusals of a wrong command, and the coding report
// of a month.
func TestTerminologyLoad(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("trust add: %d %s %s", code, out, errs)
	}
	icd := write("icd.csv", "code,description\nJ18.9,Pneumonia\nI10,Hypertension\n")
	code, out, errs := runCLI(t, "terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "icd10", icd)
	if code != 0 || !strings.Contains(out, "2 ICD-10 codes loaded for RXX") {
		t.Fatalf("load icd10: exit %d\n%s%s", code, out, errs)
	}
	opcs := write("opcs.tsv", "W37.1\tHip replacement\nH01.1\tAppendicectomy\nX40.3\tDialysis\n")
	if code, out, errs := runCLI(t, "terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "OPCS4", opcs); code != 0 || !strings.Contains(out, "3 OPCS-4 codes") {
		t.Fatalf("load opcs4: exit %d\n%s%s", code, out, errs)
	}
	bad := write("bad.csv", "code,description\nW37.1,ok\nW3,short\nW37.1,again\n")
	code, _, errs = runCLI(t, "terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "opcs4", bad)
	if code != 1 {
		t.Fatalf("bad file: exit %d, want 1", code)
	}
	for _, want := range []string{bad + ":3: OPCS-4 code \"W3\" is not a letter and three digits", bad + ":4: code W37.1 is already on line 2"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"terminology", "load", "--db", dsn, "--ods", "RXX", icd}, "--system is required"},
		{[]string{"terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "snomed", icd}, "icd10 or opcs4"},
		{[]string{"terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "icd10"}, "give one FILE"},
		{[]string{"terminology", "load", "--db", dsn, "--ods", "RZZ", "--system", "icd10", icd}, "no trust with ODS code RZZ"},
		{[]string{"report", "coding", "--db", dsn, "--ods", "RXX", "--month", "March"}, "--month: month \"March\" is not YYYY-MM"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("crs %s: exit %d, stderr %q; want an error saying %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
	code, out, errs = runCLI(t, "report", "coding", "--db", dsn, "--ods", "RXX", "--month", "2026-03")
	if code != 0 || !strings.Contains(out, "Coding completeness RXX, 2026-03: 0 of 0 finished episodes coded") {
		t.Fatalf("report coding: exit %d\n%s%s", code, out, errs)
	}
}

// TestReportCDSCommand runs crs report cds on a trust with no activity
// (nothing to send, no file) and with wrong flags.
func TestReportCDSCommand(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("trust add: %d %s %s", code, out, errs)
	}
	out := filepath.Join(dir, "ecds.xml")
	args := func(extra ...string) []string {
		return append([]string{"report", "cds", "--db", dsn, "--ods", "RXX", "--from", "2026-03-01", "--to", "2026-03-31", "--out", out}, extra...)
	}
	code, stdout, errs := runCLI(t, args("--type", "ecds", "--commissioner", "15N")...)
	if code != 0 || !strings.Contains(stdout, "nothing to send") {
		t.Fatalf("empty extract: exit %d\n%s%s", code, stdout, errs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a file was written with nothing to send: %v", err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{args("--type", "xyz", "--commissioner", "15N"), `--type: CDS type "xyz" is not ecds, outpatient or apc`},
		{args("--type", "ecds"), "--commissioner is required"},
		{args("--type", "apc", "--commissioner", "15N", "--from", "March"), `--from "March": a date is YYYY-MM-DD`},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("crs %s: exit %d, stderr %q; want %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
}
