package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencrs/crs/hl7"
	"github.com/opencrs/crs/store"
)

// TestHL7MapCLI configures an interface with its sender's conventions,
// lists it, finds the code a held message waits for with map list
// --unmapped, maps it and reprocesses: the message is applied. A CSV
// with bad lines is refused with the file and line of each.
func TestHL7MapCLI(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	must := func(want string, args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("crs %s: exit %d\nstdout: %s\nstderr: %s\nwant %q", strings.Join(args, " "), code, out, errs, want)
		}
		return out
	}
	must("", "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust")
	must("", "location", "add", "--db", dsn, "--ods", "RXX", "--kind", "site", "--code", "MAIN", "--name", "Main")
	must("", "location", "add", "--db", dsn, "--ods", "RXX", "--kind", "ward", "--code", "WD1", "--name", "Ward 1", "--parent", "MAIN", "--sex", "mixed", "--specialty", "300")
	must("interface", "hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "EPR", "--facility", "SITE1", "--name", "Vendor EPR",
		"--receiving-facility", "MAINHOSP", "--receiving-facility", "RXX01", "--nhs-id", "NHSNO^NN", "--local-id", "EPR^PI", "--unknown-patient", "register")
	out := must("Vendor EPR", "hl7", "interface", "list", "--db", dsn, "--ods", "RXX")
	for _, want := range []string{"EPR@SITE1", "receiving-facility=MAINHOSP,RXX01", "nhs-id=NHSNO^NN", "local-id=EPR^PI", "unknown-patient=register"} {
		if !strings.Contains(out, want) {
			t.Errorf("interface list %q lacks %q", out, want)
		}
	}
	if code, _, errs := runCLI(t, "hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "X", "--unknown-patient", "maybe"); code == 0 || !strings.Contains(errs, "--unknown-patient") {
		t.Errorf("a bad --unknown-patient: exit %d, %s", code, errs)
	}
	// Added again: the conventions given replace the old ones.
	must("updated", "hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "EPR", "--facility", "SITE1", "--local-id", "EPR^PI", "--local-id", "EPR^MR",
		"--unknown-patient", "register", "--strict")
	out = must("Vendor EPR", "hl7", "interface", "list", "--db", dsn, "--ods", "RXX")
	if !strings.Contains(out, "local-id=EPR^PI,EPR^MR") || !strings.Contains(out, "strict") || strings.Contains(out, "MAINHOSP") {
		t.Errorf("interface list after the second add: %q", out)
	}
	must("updated", "hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "EPR", "--facility", "SITE1", "--receiving-facility", "MAINHOSP",
		"--local-id", "EPR^PI", "--unknown-patient", "register")

	// A message to an unmapped point of care is held.
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	e := hl7Engine(db, nil)
	raw := "MSH|^~\\&|EPR|SITE1|PAS|MAINHOSP|20260302090000||ADT^A01|M1|P|2.3\rEVN|A01\rPID|1||E123^^^EPR^PI||MAPP^MAY||19800101|F\rPV1|1|I|NEO^^COT1||||C1234567\r"
	ack, err := hl7.ParseACK(e.Handle(ctx, []byte(raw)))
	db.Close()
	if err != nil || ack.Code != hl7.AE {
		t.Fatalf("A01 to NEO: %+v, %v; want AE (held)", ack, err)
	}
	out = must("NEO", "hl7", "map", "list", "--db", dsn, "--ods", "RXX", "--interface", "EPR@SITE1", "--unmapped")
	if !strings.Contains(out, "location") || !strings.Contains(out, " 1 ") {
		t.Errorf("unmapped list %q: want location NEO holding 1", out)
	}
	must("1 messages of Vendor EPR are held", "hl7", "map", "set", "--db", dsn, "--ods", "RXX", "--interface", "Vendor EPR", "--table", "location", "--from", "NEO", "--to", "WD1")
	must("1 applied", "hl7", "reprocess", "--db", dsn, "--ods", "RXX", "--interface", "EPR@SITE1", "--since", "2020-01-01")
	must("NEO                  WD1", "hl7", "map", "list", "--db", dsn, "--ods", "RXX", "--interface", "EPR@SITE1")

	csv := filepath.Join(dir, "consultants.csv")
	if err := os.WriteFile(csv, []byte("from,to\nDRA,C1111111\nDRB\nDRA,C2222222\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runCLI(t, "hl7", "map", "import", "--db", dsn, "--ods", "RXX", "--interface", "EPR@SITE1", "--table", "consultant", csv)
	if code == 0 || !strings.Contains(errs, csv+":3: 1 fields") || !strings.Contains(errs, csv+":4: DRA is mapped already on line 2") {
		t.Errorf("import of a bad CSV: exit %d, %s", code, errs)
	}
	if err := os.WriteFile(csv, []byte("DRA,C1111111\nDRB,C2222222\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must("2 mappings of consultant set", "hl7", "map", "import", "--db", dsn, "--ods", "RXX", "--interface", "EPR@SITE1", "--table", "consultant", csv)
	if code, _, errs := runCLI(t, "hl7", "map", "list", "--db", dsn, "--ods", "RXX", "--interface", "NOPE"); code == 0 || !strings.Contains(errs, "Vendor EPR (EPR@SITE1)") {
		t.Errorf("an unknown interface: exit %d, %s; want the choices named", code, errs)
	}
}
