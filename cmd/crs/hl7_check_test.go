package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// sharedHL7 is the shared HL7 corpus, present on the team's machines.
var sharedHL7 = filepath.Join("..", "..", "..", "shared", "data", "hl7")

// checkEngines runs f once per database engine with the DSN of a new
// database, for tests of the crs command.
func checkEngines(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, "sqlite:"+filepath.Join(t.TempDir(), "crs.db")) })
	t.Run("postgres", func(t *testing.T) { f(t, storetest.PostgresDSN(t)) })
}

// mustCLI runs crs and fails the test unless it exits 0.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("crs %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// TestHL7CheckCorpus replays the 139 example messages of the shared
// corpus (ms/: many senders' examples, most of them American, of 60
// message types) through `crs hl7 check` with an interface set up for
// their main sender, and compares the report with the golden file; the
// JSON form must say the same per message. The examples share control
// ids, so they are checked with --fresh-ids, and as at a fixed time, so
// the report does not change with the day it is run.
func TestHL7CheckCorpus(t *testing.T) {
	dir := filepath.Join(sharedHL7, "ms")
	files, err := filepath.Glob(filepath.Join(dir, "*.hl7"))
	if err != nil || len(files) == 0 {
		t.Skipf("shared HL7 corpus not found at %s (%v): skipped", dir, err)
	}
	for i, f := range files {
		files[i] = filepath.Join("ms", filepath.Base(f))
	}
	if len(files) != 139 {
		t.Fatalf("corpus has %d messages, want 139", len(files))
	}
	golden, err := filepath.Abs(filepath.Join("testdata", "hl7_check_ms.golden"))
	if err != nil {
		t.Fatal(err)
	}
	checkEngines(t, func(t *testing.T, dsn string) {
		mustCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust")
		mustCLI(t, "hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "ADTApp", "--facility", "GHHSFacility",
			"--receiving-facility", "GHHRFacility", "--local-id", "^MR", "--unknown-patient", "register")
		t.Chdir(sharedHL7)
		args := append([]string{"hl7", "check", "--db", dsn, "--ods", "RXX", "--interface", "ADTApp@GHHSFacility", "--fresh-ids", "--at", "2026-03-02T09:00:00Z"}, files...)
		text := mustCLI(t, args...)
		compareGolden(t, golden, text)
		var rep crs.CheckReport
		if err := json.Unmarshal([]byte(mustCLI(t, append(args, "--json")...)), &rep); err != nil {
			t.Fatalf("--json: %v", err)
		}
		if rep.Total.Messages != 139 || len(rep.Messages) != 139 {
			t.Errorf("--json: %d messages, %d listed; want 139", rep.Total.Messages, len(rep.Messages))
		}
		var outcomes strings.Builder
		for _, m := range rep.Messages {
			outcomes.WriteString(m.Outcome + "\n")
		}
		counts := map[string]int{}
		for _, o := range strings.Fields(outcomes.String()) {
			counts[o]++
		}
		if counts[crs.CheckApplied] != rep.Total.Applied || counts[crs.CheckRefused] != rep.Total.Refused || counts[crs.CheckHeld] != rep.Total.Held {
			t.Errorf("--json: outcomes per message %v do not add up to the totals %+v", counts, rep.Total)
		}
	})
}

// compareGolden compares a report with its golden file, which -update
// rewrites (from the SQLite run: both engines must give the same).
func compareGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update && strings.Contains(t.Name(), "/sqlite") {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/crs -run %s -update to write it)", err, strings.Split(t.Name(), "/")[0])
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("crs hl7 check report differs from %s (-want +got):\n%s", golden, diff)
	}
}

// TestHL7CheckErrors checks what crs hl7 check says of bad input: a file
// that cannot be read, an interface that does not exist, a bad --at, no
// file at all, and a file with no message in it.
func TestHL7CheckErrors(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	mustCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust")
	mustCLI(t, "hl7", "interface", "add", "--db", dsn, "--ods", "RXX", "--app", "PAS", "--facility", "RXX")
	empty := filepath.Join(dir, "empty.hl7")
	if err := os.WriteFile(empty, []byte("# nothing here\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"--interface", "PAS@RXX", filepath.Join(dir, "nope.hl7")}, 1, "nope.hl7: cannot be read"},
		{"unknown interface", []string{"--interface", "LIMS", empty}, 1, `--interface: no inbound interface "LIMS"; the trust has PAS at RXX (PAS@RXX)`},
		{"bad time", []string{"--interface", "PAS@RXX", "--at", "yesterday", empty}, 2, `--at "yesterday" is not a time`},
		{"no file", []string{"--interface", "PAS@RXX"}, 2, "name at least one FILE"},
		{"no interface", []string{empty}, 2, "--interface"},
		{"no message", []string{"--interface", "PAS@RXX", empty}, 1, "no HL7 messages in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(t, append([]string{"hl7", "check", "--db", dsn, "--ods", "RXX"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
}
