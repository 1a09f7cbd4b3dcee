package main

import (
	"context"
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/opencrs/crs/store"
)

// usageLines returns the command lines `crs` lists: "hl7 send",
// "demo"...
func usageLines(t *testing.T) []string {
	t.Helper()
	code, out, _ := runCLI(t)
	if code != 2 {
		t.Fatalf("crs: exit %d; want 2", code)
	}
	var lines []string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z0-9]+(?: [a-z0-9][a-z0-9-]*)*)  +\S`).FindAllStringSubmatch(out, -1) {
		lines = append(lines, m[1])
	}
	return lines
}

// readmeCommands returns the commands and subcommands the README's
// Commands section lists: "crs user   list | disable ..." gives "user list"
// and "user disable", "crs hl7    interface add --db" gives "hl7 interface
// add".
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "## Commands")
	j := strings.Index(s, "crs <command> --help")
	if i < 0 || j < i {
		t.Fatal("README has no Commands section ending in crs <command> --help")
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^    crs +([a-z0-9]+)(.*)$`).FindAllStringSubmatch(s[i:j], -1) {
		var words []string
		for _, w := range strings.Fields(m[2]) {
			if w != "|" && !regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`).MatchString(w) {
				break // a flag or an argument: the subcommand is before it
			}
			words = append(words, w)
		}
		switch line := strings.Join(words, " "); {
		case line == "":
			out = append(out, m[1])
		case strings.Contains(line, "|"):
			for _, w := range strings.Split(line, "|") {
				out = append(out, m[1]+" "+strings.TrimSpace(w))
			}
		default:
			out = append(out, m[1]+" "+line)
		}
	}
	return out
}

// TestUsageListsEverything checks that `crs` alone lists every command
// and subcommand the README documents, each with what it does.
func TestUsageListsEverything(t *testing.T) {
	listed := map[string]bool{}
	for _, l := range usageLines(t) {
		listed[l] = true
	}
	want := readmeCommands(t)
	if len(want) < 15 {
		t.Fatalf("read %d commands from the README (%v); want every one", len(want), want)
	}
	for _, c := range want {
		if !listed[c] {
			t.Errorf("crs does not list %q, which the README documents; it lists %v", c, usageLines(t))
		}
	}
	for _, c := range commands() {
		for _, sc := range subcommands[c.name] {
			if !listed[c.name+" "+sc[0]] {
				t.Errorf("crs does not list %s %s", c.name, sc[0])
			}
		}
	}
}

// TestEveryHelp runs --help on every command, subcommand and group of
// subcommands: each prints its usage on stdout and exits 0.
func TestEveryHelp(t *testing.T) {
	seen := map[string]bool{}
	for _, l := range usageLines(t) {
		words := strings.Fields(l)
		for n := 1; n <= len(words); n++ {
			seen[strings.Join(words[:n], " ")] = true
		}
	}
	for c := range seen {
		for _, h := range []string{"--help", "-h"} {
			args := append(strings.Fields(c), h)
			code, out, errs := runCLI(t, args...)
			if code != 0 || !strings.Contains(out, "Usage: crs") || errs != "" {
				t.Errorf("crs %s: exit %d; want 0, the usage on stdout and nothing on stderr\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
			}
		}
	}
	for _, group := range []string{"interface", "destination"} {
		code, out, _ := runCLI(t, "hl7", group, "--help")
		if code != 0 || !strings.Contains(out, "Usage: crs hl7 "+group+" ") {
			t.Errorf("crs hl7 %s --help: exit %d, %q; want 0 and its own usage", group, code, out)
		}
		code, out, errs := runCLI(t, "hl7", group)
		if code != 2 || out != "" || !strings.Contains(errs, "Usage: crs hl7 "+group+" ") {
			t.Errorf("crs hl7 %s: exit %d, stdout %q, stderr %q; want 2 and its usage on stderr", group, code, out, errs)
		}
	}
}

// TestSetUpErrors checks the mistakes of setting up a deployment: an
// interface of a trust that is not there, a database that cannot be
// opened or has no trust, and the next command printed by trust add.
func TestSetUpErrors(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	code, out, errs := runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside Hospitals NHS Trust")
	if code != 0 || !strings.Contains(out, "next: crs user add --db "+dsn+" --ods RXX ") {
		t.Errorf("crs trust add: exit %d, %q; want the next command with --db %s\n%s", code, out, dsn, errs)
	}
	spaced := "sqlite:" + filepath.Join(dir, "two words", "crs.db")
	if _, out, _ := runCLI(t, "trust", "add", "--db", spaced, "--ods", "RYY", "--name", "Y"); !strings.Contains(out, "--db '"+spaced+"' --ods RYY") {
		t.Errorf("crs trust add on a path with a space printed %q; want --db quoted for the shell", out)
	}

	code, out, errs = runCLI(t, "hl7", "interface", "add", "--db", dsn, "--ods", "RXY", "--app", "PAS")
	if code != 1 || !strings.Contains(errs, "no trust with ODS code RXY in the database: add it with crs trust add --db "+dsn+" --ods RXY") {
		t.Errorf("crs hl7 interface add for an unknown trust: exit %d\nstdout: %s\nstderr: %s\nwant 1 and to be told to add the trust", code, out, errs)
	}
	if _, out, _ := runCLI(t, "trust", "list", "--db", dsn); strings.Contains(out, "RXY") {
		t.Errorf("crs hl7 interface add made a trust RXY:\n%s", out)
	}
	if code, out, errs := runCLI(t, "hl7", "interface", "add", "--db", dsn, "--ods", "rxx", "--app", "PAS"); code != 0 || !strings.Contains(out, "messages from PAS at RXX to RXX") {
		t.Errorf("crs hl7 interface add for RXX: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}

	empty := filepath.Join(dir, "empty.db")
	db, err := store.Open(context.Background(), "sqlite:"+empty)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	nope := filepath.Join(dir, "nope")
	for _, tc := range []struct {
		name string
		db   string
		code int
		want string
	}{
		{"a folder that does not exist", "sqlite:" + filepath.Join(nope, "crs.db"), 1, "cannot open sqlite:" + filepath.Join(nope, "crs.db") + ": folder " + nope + " does not exist"},
		{"no file path", "sqlite:", 2, "--db sqlite: needs a file path, e.g. sqlite:crs-data/crs.db"},
		{"a folder, not a file", "sqlite:" + dir, 1, dir + " is a folder, not a database file"},
		{"no database yet", "sqlite:" + filepath.Join(dir, "new.db"), 1, "no database at " + filepath.Join(dir, "new.db") + ": check --db, or set one up with crs trust add --db sqlite:" + filepath.Join(dir, "new.db")},
		{"a database with no trust", "sqlite:" + empty, 1, "the database has no trust: add one with crs trust add --db sqlite:" + empty + " --ods CODE --name NAME"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "serve", "--db", tc.db, "--http", "127.0.0.1:0", "--mllp", "")
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("crs serve --db %s: exit %d; want %d and %q\nstdout: %s\nstderr: %s", tc.db, code, tc.code, tc.want, out, errs)
			}
			if strings.Contains(errs, "no such table") {
				t.Errorf("crs serve --db %s speaks of tables: %s", tc.db, errs)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "new.db")); err == nil {
		t.Error("crs serve made a new empty database")
	}
	code, _, errs = runCLI(t, "trust", "add", "--db", "sqlite:", "--ods", "RZZ", "--name", "Z")
	if code != 2 || !strings.Contains(errs, "--db sqlite: needs a file path") {
		t.Errorf("crs trust add --db sqlite: exit %d, %q; want 2 and to be told it needs a path", code, errs)
	}
}

// TestPlurals checks the counts the commands print.
func TestPlurals(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "crs.db")
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("kettle orange pylon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Riverside")
	if code, out, errs := runCLI(t, "user", "add", "--db", dsn, "--ods", "RXX", "--username", "j.admin", "--name", "Jo Admin", "--role", "admin", "--password-file", pw); code != 0 {
		t.Fatalf("crs user add: exit %d\n%s%s", code, out, errs)
	}
	if _, out, _ := runCLI(t, "user", "list", "--db", dsn, "--ods", "RXX"); !strings.Contains(out, "\n1 user in RXX") {
		t.Errorf("crs user list of one user printed %q; want \"1 user in RXX\"", out)
	}
}

func TestVersionText(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/opencrs/crs", Version: version}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	tests := []struct {
		name string
		set  string
		info *debug.BuildInfo
		want string
	}{
		{"no build information", "dev", nil, "crs dev\n"},
		{"a development build", "dev", info("(devel)"), "crs dev\nbuilt with go1.26.0\n"},
		{"a module version", "dev", info("v1.2.3"), "crs v1.2.3\nbuilt with go1.26.0\n"},
		{"set at build time", "2026.12", info("v1.2.3"), "crs 2026.12\nbuilt with go1.26.0\n"},
		{"from a clean checkout", "dev", info("v0.0.0-20261202071245-589ed0f1a2b3", "vcs.revision", "589ed0f1a2b3", "vcs.time", "2026-12-02T07:12:45Z", "vcs.modified", "false"),
			"crs v0.0.0-20261202071245-589ed0f1a2b3\nrevision 589ed0f1a2b3 (2026-12-02T07:12:45Z)\nbuilt with go1.26.0\n"},
		{"with uncommitted changes", "dev", info("(devel)", "vcs.revision", "589ed0f1a2b3", "vcs.modified", "true"),
			"crs dev\nrevision 589ed0f1a2b3 with uncommitted changes\nbuilt with go1.26.0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionText(tc.set, tc.info); got != tc.want {
				t.Errorf("versionText = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestREADMEPaths checks that every file and folder of the repository
// the README names is there.
func TestREADMEPaths(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	made := map[string]bool{"./crs-data": true} // made by crs demo, not shipped
	var paths []string
	for _, m := range regexp.MustCompile("`([^`\\s<>]+)`").FindAllStringSubmatch(readme, -1) {
		p := m[1]
		if made[p] || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-") || strings.Contains(p, ":") || strings.Contains(p, "=") {
			continue
		}
		if regexp.MustCompile(`^[A-Z0-9]+(/[A-Z0-9]+)+$`).MatchString(p) {
			continue // a location's path of codes: RGH/WD10/BAYA
		}
		if _, err := os.Stat(filepath.Join(build.Default.GOROOT, "src", p)); err == nil {
			continue // a standard library package: database/sql
		}
		if strings.Contains(p, "/") || regexp.MustCompile(`\.(go|md|sql|hl7|json|csv)$`).MatchString(p) {
			paths = append(paths, p)
		}
	}
	// Arguments of the example commands: go run ./cmd/crs hl7 send FILE.
	for _, m := range regexp.MustCompile(`(?m)^    go run (\S+)(.*)$`).FindAllStringSubmatch(readme, -1) {
		paths = append(paths, m[1])
		for _, f := range strings.Fields(m[2]) {
			if f == "#" {
				break
			}
			if strings.Contains(f, "/") && !strings.Contains(f, ":") && !strings.HasPrefix(f, "-") {
				paths = append(paths, f)
			}
		}
	}
	// The project structure: "store/   ...", "hl7/ mllp/   ...".
	if i := strings.Index(readme, "## Project structure"); i >= 0 {
		block := readme[i:]
		block = block[strings.Index(block, "```")+3:]
		block = block[:strings.Index(block, "```")]
		for _, line := range strings.Split(block, "\n") {
			if strings.HasPrefix(line, " ") {
				continue // the description of the line above
			}
			for _, f := range strings.Fields(line) {
				if !strings.HasSuffix(f, "/") {
					break
				}
				paths = append(paths, f)
			}
		}
	}
	if len(paths) < 10 {
		t.Fatalf("found %d paths in the README (%v); the test reads it wrongly", len(paths), paths)
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "../shared") {
			// The shared test data beside the checkout, which a user's
			// clone has not: the tests that read it skip without it.
			continue
		}
		if _, err := os.Stat(filepath.Join("../..", p)); err != nil {
			t.Errorf("README names %s, which is not in the repository", p)
		}
	}
}
