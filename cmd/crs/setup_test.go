package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// withStdin runs crs with standard input reading from r.
func withStdin(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(input)
	defer func() { stdin = old }()
	return runCLI(t, args...)
}

// TestSetUpDeployment sets up a new deployment from the command line as
// its installer would: a trust, its first administrator and a clerk, then
// lists, disables and re-enables them and resets a password, checking
// each change in the database.
func TestSetUpDeployment(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "new", "crs.db") // the folder does not exist yet
	pwFile := filepath.Join(dir, "admin-password")
	if err := os.WriteFile(pwFile, []byte("kettle orange pylon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun := func(t *testing.T, input string, args ...string) string {
		t.Helper()
		code, out, errs := withStdin(t, input, args...)
		if code != 0 {
			t.Fatalf("crs %s: exit %d; want 0\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	// authenticate checks a login against the database the commands wrote.
	authenticate := func(t *testing.T, username, password string) error {
		t.Helper()
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		_, err = store.NewUserService(db).Authenticate(context.Background(), username, password)
		return err
	}

	out := mustRun(t, "", "trust", "add", "--db", dsn, "--ods", "rxx", "--name", "Riverside Hospitals NHS Trust", "--mrn-prefix", "R")
	if !strings.Contains(out, "trust RXX added: Riverside Hospitals NHS Trust") {
		t.Errorf("crs trust add printed %q; want the trust it added", out)
	}
	if out := mustRun(t, "", "trust", "list", "--db", dsn); !regexp.MustCompile(`(?m)^RXX +R +Riverside Hospitals NHS Trust$`).MatchString(out) {
		t.Errorf("crs trust list printed %q; want RXX, its prefix R and its name", out)
	}
	if code, _, errs := withStdin(t, "", "trust", "list", "--db", "sqlite:"+filepath.Join(dir, "none.db")); code != 1 || !strings.Contains(errs, "no database at") {
		t.Errorf("crs trust list on no database: exit %d, %q; want 1 and \"no database at\"", code, errs)
	}
	out = mustRun(t, "", "user", "add", "--db", dsn, "--ods", "RXX", "--username", "j.admin", "--name", "Jo Admin", "--role", "admin", "--password-file", pwFile)
	if want := "user j.admin added to RXX (Riverside Hospitals NHS Trust): Jo Admin, System administrator\n"; out != want {
		t.Errorf("crs user add printed %q; want %q", out, want)
	}
	out = mustRun(t, "violet harbour engine\n", "user", "add", "--db", dsn, "--ods", "RXX", "--username", "A.Clerk", "--name", "Ann Clerk", "--role", "clerk")
	if !strings.Contains(out, "user a.clerk added") {
		t.Errorf("crs user add (password on stdin) printed %q", out)
	}
	if err := authenticate(t, "j.admin", "kettle orange pylon"); err != nil {
		t.Errorf("the administrator cannot log in with the password from the file: %v", err)
	}
	if err := authenticate(t, "a.clerk", "violet harbour engine"); err != nil {
		t.Errorf("the clerk cannot log in with the password from stdin: %v", err)
	}

	list := func(t *testing.T) map[string][]string {
		t.Helper()
		out := mustRun(t, "", "user", "list", "--db", dsn, "--ods", "RXX")
		rows := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := regexp.MustCompile(`\s{2,}`).Split(line, -1)
			if len(f) == 4 && f[0] != "USERNAME" {
				rows[f[0]] = f[1:]
			}
		}
		if !strings.Contains(out, "2 users in RXX") {
			t.Errorf("crs user list does not count the users:\n%s", out)
		}
		return rows
	}
	rows := list(t)
	for user, want := range map[string][]string{"j.admin": {"Jo Admin", "admin", "yes"}, "a.clerk": {"Ann Clerk", "clerk", "yes"}} {
		if strings.Join(rows[user], "|") != strings.Join(want, "|") {
			t.Errorf("crs user list row of %s = %q; want %q", user, rows[user], want)
		}
	}

	out = mustRun(t, "", "user", "disable", "--db", dsn, "--ods", "RXX", "--username", "a.clerk")
	if !strings.Contains(out, "a.clerk of RXX disabled") {
		t.Errorf("crs user disable printed %q", out)
	}
	if got := list(t)["a.clerk"]; len(got) != 3 || got[2] != "no" {
		t.Errorf("after disable, the list shows a.clerk as %q; want enabled no", got)
	}
	if err := authenticate(t, "a.clerk", "violet harbour engine"); crs.ErrorCode(err) != crs.EUNAUTHORIZED {
		t.Errorf("a disabled user logs in: %v", err)
	}
	mustRun(t, "", "user", "enable", "--db", dsn, "--ods", "RXX", "--username", "a.clerk")
	if err := authenticate(t, "a.clerk", "violet harbour engine"); err != nil {
		t.Errorf("the enabled user cannot log in: %v", err)
	}

	out = mustRun(t, "pencil lantern meadow", "user", "password", "--db", dsn, "--ods", "RXX", "--username", "a.clerk")
	if !strings.Contains(out, "password of user a.clerk of RXX set") {
		t.Errorf("crs user password printed %q", out)
	}
	if err := authenticate(t, "a.clerk", "pencil lantern meadow"); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	if err := authenticate(t, "a.clerk", "violet harbour engine"); crs.ErrorCode(err) != crs.EUNAUTHORIZED {
		t.Errorf("the old password still works: %v", err)
	}

	twoLines := filepath.Join(dir, "two-lines")
	os.WriteFile(twoLines, []byte("kettle orange pylon\nsecond line\n"), 0o600)
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string // in stderr
	}{
		{"duplicate ODS code", "", []string{"trust", "add", "--db", dsn, "--ods", "RXX", "--name", "Another"}, 1, "--ods: an organisation with ODS code RXX already exists"},
		{"ODS code of the wrong shape", "", []string{"trust", "add", "--db", dsn, "--ods", "R-1", "--name", "Another"}, 1, `--ods: ODS code "R-1" must be 3 to 5 capital letters or digits`},
		{"bad hospital number prefix", "", []string{"trust", "add", "--db", dsn, "--ods", "RYY", "--name", "Another", "--mrn-prefix", "R1"}, 1, "--mrn-prefix:"},
		{"trust without a name", "", []string{"trust", "add", "--db", dsn, "--ods", "RYY"}, 2, "--name is required"},
		{"trust without flags", "", []string{"trust", "add", "--db", dsn}, 2, "--name and --ods are required"},
		{"unknown trust subcommand", "", []string{"trust", "remove"}, 2, `unknown subcommand "remove"`},
		{"user without flags", "", []string{"user", "add", "--db", dsn, "--ods", "RXX"}, 2, "--name and --role and --username are required"},
		{"unknown role", "kettle orange pylon", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "b.nurse", "--name", "B", "--role", "surgeon"}, 1, `--role: "surgeon" is not a role; use one of clerk, nurse`},
		{"bad username", "kettle orange pylon", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "B Nurse", "--name", "B", "--role", "nurse"}, 1, "--username: username"},
		{"short password", "short", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "b.nurse", "--name", "B", "--role", "nurse"}, 1, "password: a password needs at least 10 characters (this one has 5)"},
		{"username as password", "b.nurse.ward", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "b.nurse.ward", "--name", "B", "--role", "nurse"}, 1, "must not contain the username"},
		{"empty password", "", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "b.nurse", "--name", "B", "--role", "nurse"}, 1, "password: standard input is empty"},
		{"two-line password file", "", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "b.nurse", "--name", "B", "--role", "nurse", "--password-file", twoLines}, 1, "more than one line"},
		{"missing password file", "", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "b.nurse", "--name", "B", "--role", "nurse", "--password-file", filepath.Join(dir, "nosuch")}, 1, "--password-file: open"},
		{"taken username", "kettle orange pylon", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "a.clerk", "--name", "B", "--role", "nurse"}, 1, "--username: username a.clerk is taken"},
		{"unknown trust", "kettle orange pylon", []string{"user", "add", "--db", dsn, "--ods", "RZZ", "--username", "b.nurse", "--name", "B", "--role", "nurse"}, 1, "no trust with ODS code RZZ in the database"},
		{"no database", "", []string{"user", "list", "--db", "sqlite:" + filepath.Join(dir, "nosuch.db"), "--ods", "RXX"}, 1, "no database at " + filepath.Join(dir, "nosuch.db")},
		{"unknown user", "", []string{"user", "disable", "--db", dsn, "--ods", "RXX", "--username", "nobody"}, 1, "--username: no user nobody in this trust"},
		{"disable twice", "", []string{"user", "enable", "--db", dsn, "--ods", "RXX", "--username", "a.clerk"}, 1, "user a.clerk is already enabled"},
		{"short new password", "short", []string{"user", "password", "--db", dsn, "--ods", "RXX", "--username", "a.clerk"}, 1, "at least 10 characters"},
		{"password without a username", "", []string{"user", "password", "--db", dsn, "--ods", "RXX"}, 2, "--username is required"},
		{"a password flag", "", []string{"user", "add", "--db", dsn, "--ods", "RXX", "--username", "b.nurse", "--name", "B", "--role", "nurse", "--password", "kettle orange pylon"}, 2, "flag provided but not defined: -password"},
		{"unknown user subcommand", "", []string{"user", "delete"}, 2, `unknown subcommand "delete"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := withStdin(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("crs %s: exit %d; want %d\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, out, errs)
			}
			if !strings.Contains(errs+out, tc.want) {
				t.Errorf("crs %s: output does not say %q\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), tc.want, out, errs)
			}
		})
	}
	if got := list(t); len(got) != 2 {
		t.Errorf("after the refused commands the trust has users %v; want the same two", got)
	}

	t.Run("a password is not read from a terminal", func(t *testing.T) {
		tty, err := os.Open(os.DevNull) // a character device, as a terminal is
		if err != nil {
			t.Skip(err)
		}
		defer tty.Close()
		old := stdin
		stdin = tty
		defer func() { stdin = old }()
		code, _, errs := runCLI(t, "user", "password", "--db", dsn, "--ods", "RXX", "--username", "a.clerk")
		if code != 1 || !strings.Contains(errs, "--password-file FILE") {
			t.Errorf("crs user password with stdin a terminal: exit %d, %q; want 1 and to be told to use --password-file", code, errs)
		}
	})
}

func TestSetUpHelp(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		want  string
		flags []string
	}{
		{[]string{"trust", "add"}, "Usage: crs trust add", []string{"db", "ods", "name", "mrn-prefix"}},
		{[]string{"user", "add"}, "Usage: crs user add", []string{"db", "ods", "username", "name", "role", "password-file"}},
		{[]string{"user", "list"}, "Usage: crs user list", []string{"db", "ods"}},
		{[]string{"user", "disable"}, "Usage: crs user disable", []string{"db", "ods", "username"}},
		{[]string{"user", "enable"}, "Usage: crs user enable", []string{"db", "ods", "username"}},
		{[]string{"user", "password"}, "Usage: crs user password", []string{"db", "ods", "username", "password-file"}},
		{[]string{"user"}, "at least 10 characters", nil},
		{[]string{"trust"}, "crs trust add", nil},
	} {
		args := append(append([]string{}, tc.args...), "--help")
		name := strings.Join(args, " ")
		t.Run(name, func(t *testing.T) {
			code, out, errs := runCLI(t, args...)
			if code != 0 || !strings.Contains(out, tc.want) {
				t.Fatalf("crs %s: exit %d; want 0 and %q\nstdout: %s\nstderr: %s", name, code, tc.want, out, errs)
			}
			for _, f := range tc.flags {
				if !regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f) + `\b`).MatchString(out) {
					t.Errorf("crs %s: flag -%s not listed:\n%s", name, f, out)
				}
			}
			if regexp.MustCompile(`(?m)^  -password\b\s`).MatchString(out) {
				t.Errorf("crs %s has a -password flag: a password must never be given on the command line", name)
			}
		})
	}
	code, out, _ := runCLI(t, "--help")
	for _, c := range []string{"trust", "user"} {
		if code != 0 || !regexp.MustCompile(`(?m)^  `+c+` +\S`).MatchString(out) {
			t.Errorf("crs --help does not list %q:\n%s", c, out)
		}
	}
}
