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
		{[]string{"terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "read", icd}, "icd10, opcs4 or snomed"},
		{[]string{"terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "snomed", icd}, icd + ": not a file of a SNOMED CT RF2 release"},
		{[]string{"terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "snomed"}, "give the RF2 files"},
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

// TestTerminologyLoadSNOMED loads the demo's sample SNOMED CT release
// from its folder, its reference set's members named, and refuses a
// release with bad lines, each reported as FILE:LINE, loading nothing.
func TestTerminologyLoadSNOMED(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	if code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust"); code != 0 {
		t.Fatalf("trust add: %d %s %s", code, out, errs)
	}
	code, out, errs := runCLI(t, "terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "snomed", filepath.Join("..", "..", "demo", "snomed"))
	if code != 0 || !strings.Contains(out, "61 SNOMED CT concepts, 59 is-a relationships and 6 reference set members loaded for RXX from 5 files") {
		t.Fatalf("load the sample release: exit %d\n%s%s", code, out, errs)
	}
	concepts := filepath.Join(dir, "sct2_Concept_Snapshot_INT_20260101.txt")
	descs := filepath.Join(dir, "sct2_Description_Snapshot-en_INT_20260101.txt")
	refset := filepath.Join(dir, "der2_Refset_SimpleSnapshot_INT_20260101.txt")
	os.WriteFile(refset, []byte("id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\n"+
		"80000000-0000-4000-8000-000000000001\t20260101\t1\t900000000000207008\t195967001\t195967001\n"+
		"80000000-0000-4000-8000-000000000002\t20260101\t1\t900000000000207008\t195967001\n"), 0o600)
	os.WriteFile(concepts, []byte("id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n"+
		"195967001\t20020131\t1\t900000000000207008\t900000000000074008\n"+
		"195967002\t20020131\t1\t900000000000207008\t900000000000074008\n"+
		"22298006\t2002-01-31\t1\t900000000000207008\t900000000000074008\n"), 0o600)
	os.WriteFile(descs, []byte("id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId\n"+
		"301480018\t20020131\t1\t900000000000207008\t195967001\ten\t900000000000013009\tAsthma\t900000000000448009\n"+
		"301480018\t20020131\t1\t900000000000207008\t195967001\ten\n"), 0o600)
	code, _, errs = runCLI(t, "terminology", "load", "--db", dsn, "--ods", "RXX", "--system", "snomed", concepts, descs, refset)
	if code != 1 {
		t.Fatalf("bad release: exit %d, want 1", code)
	}
	for _, want := range []string{concepts + ":3: id: SNOMED CT identifier 195967002 fails its check digit",
		concepts + ":4: effectiveTime \"2002-01-31\" is not YYYYMMDD", descs + ":3: 6 fields, not the 9 of the header",
		refset + ":3: 5 fields, not the 6 of the header"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
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
