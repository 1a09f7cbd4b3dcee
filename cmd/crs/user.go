package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// stdin is where a password given on standard input is read from; tests
// replace it.
var stdin io.Reader = os.Stdin

// runUser manages the staff users of a trust from the command line: the
// first administrator of a new deployment, and any user when the web UI
// cannot be reached.
func runUser(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var synopsis = `user <add|list|disable|enable|password|unlock> --db DSN --ods CODE ...

  crs user add --ods CODE --username U --name "Full Name" --role ROLE [--password-file FILE]
                                      add a user; the password from the file or standard input
  crs user list --ods CODE            list the trust's users
  crs user disable --ods CODE --username U
                                      stop a user logging in and end their sessions
  crs user enable --ods CODE --username U
                                      let a disabled user log in again
  crs user password --ods CODE --username U [--password-file FILE]
                                      set a new password and end the user's sessions
  crs user unlock --ods CODE --username U
                                      unlock an account locked after failed logins

A password is never given on the command line: it is read from the file
named by --password-file, or from standard input when that is not a
terminal (printf '%s' "$PW" | crs user add ...).
` + passwordRule
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: crs %s\n", synopsis)
		return errUsage
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, args[1:], stdout)
	case "list":
		return userList(ctx, args[1:], stdout)
	case "disable":
		return userSetDisabled(ctx, "disable", args[1:], stdout)
	case "enable":
		return userSetDisabled(ctx, "enable", args[1:], stdout)
	case "password":
		return userPassword(ctx, args[1:], stdout)
	case "unlock":
		return userUnlock(ctx, args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: crs %s\n", synopsis)
		return nil
	}
	fmt.Fprintf(stderr, "crs user: unknown subcommand %q\n\nUsage: crs %s\n", args[0], synopsis)
	return errUsage
}

// passwordRule states the password policy for the command line.
var passwordRule = "Password policy: " + strings.ToLower(crs.PasswordPolicy[:1]) + crs.PasswordPolicy[1:]

// userFlags are the flags every user subcommand has.
type userFlags struct {
	fs  *flag.FlagSet
	db  *string
	ods *string
}

func newUserFlags(name, synopsis string, stdout io.Writer) userFlags {
	fs := newFlags("user "+name, synopsis, stdout)
	return userFlags{
		fs:  fs,
		db:  fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://..."),
		ods: fs.String("ods", "", "ODS code of the user's trust (required)"),
	}
}

// userFields maps the fields of a user's errors to the flags they came
// from.
var userFields = map[string]string{"username": "--username", "name": "--name", "role": "--role", "password": "password"}

func userAdd(ctx context.Context, args []string, stdout io.Writer) error {
	f := newUserFlags("add", "user add --db DSN --ods CODE --username U --name \"Full Name\" --role ROLE [--password-file FILE]\n\n"+
		"Adds a user to the trust. The password is read from --password-file, or from\nstandard input when it is not a terminal. "+passwordRule, stdout)
	username := f.fs.String("username", "", "the login name: 2 to 63 lower-case letters, digits, dots, hyphens or underscores (required)")
	name := f.fs.String("name", "", "the user's full name, as shown to others (required)")
	role := f.fs.String("role", "", "the role profile: "+roleList()+" (required)")
	pwFile := f.fs.String("password-file", "", "a file holding the password on one line; standard input if not given")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("user add", map[string]string{"ods": *f.ods, "username": *username, "name": *name, "role": *role}); err != nil {
		return err
	}
	u := &crs.User{Username: strings.ToLower(strings.TrimSpace(*username)), Name: strings.TrimSpace(*name), Role: crs.Role(strings.TrimSpace(*role))}
	if !u.Role.Valid() {
		return fmt.Errorf("--role: %q is not a role; use one of %s", *role, roleList())
	}
	if err := u.Validate(); err != nil {
		return flagError(err, userFields)
	}
	password, err := readPassword(*pwFile)
	if err != nil {
		return err
	}
	if err := crs.CheckPassword(u.Username, password); err != nil {
		return flagError(err, userFields)
	}
	db, org, err := openTrust(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := store.NewUserService(db).CreateUser(ctx, crs.SystemActor(org.ID), u, password); err != nil {
		return flagError(err, userFields)
	}
	fmt.Fprintf(stdout, "user %s added to %s (%s): %s, %s\n", u.Username, org.ODSCode, org.Name, u.Name, u.Role.Name())
	return nil
}

func userList(ctx context.Context, args []string, stdout io.Writer) error {
	f := newUserFlags("list", "user list --db DSN --ods CODE\n\nLists the trust's users: username, name, role and whether they may log in.", stdout)
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("user list", map[string]string{"ods": *f.ods}); err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := store.NewUserService(db).FindUsers(ctx, crs.SystemActor(org.ID))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tROLE\tENABLED")
	for _, u := range users {
		enabled := "yes"
		switch {
		case u.Disabled:
			enabled = "no"
		case u.Locked:
			enabled = "locked" // after failed logins: crs user unlock
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Name, u.Role, enabled)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s in %s (%s)\n", crs.Count(len(users), "user", "users"), org.ODSCode, org.Name)
	return nil
}

// userSetDisabled disables or enables a user.
func userSetDisabled(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	what := "Stops the user logging in and ends their sessions."
	if verb == "enable" {
		what = "Lets a disabled user log in again."
	}
	f := newUserFlags(verb, "user "+verb+" --db DSN --ods CODE --username U\n\n"+what, stdout)
	username := f.fs.String("username", "", "the user's login name (required)")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("user "+verb, map[string]string{"ods": *f.ods, "username": *username}); err != nil {
		return err
	}
	t, err := openUser(ctx, *f.db, *f.ods, *username)
	if err != nil {
		return err
	}
	defer t.db.Close()
	us, sys, org, u := t.users, t.sys, t.org, t.user
	if err := us.SetUserDisabled(ctx, sys, u.ID, verb == "disable"); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s of %s %sd\n", u.Username, org.ODSCode, verb)
	return nil
}

func userPassword(ctx context.Context, args []string, stdout io.Writer) error {
	f := newUserFlags("password", "user password --db DSN --ods CODE --username U [--password-file FILE]\n\n"+
		"Sets a user's password and ends their sessions. The password is read from\n--password-file, or from standard input when it is not a terminal. "+passwordRule, stdout)
	username := f.fs.String("username", "", "the user's login name (required)")
	pwFile := f.fs.String("password-file", "", "a file holding the new password on one line; standard input if not given")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("user password", map[string]string{"ods": *f.ods, "username": *username}); err != nil {
		return err
	}
	password, err := readPassword(*pwFile)
	if err != nil {
		return err
	}
	t, err := openUser(ctx, *f.db, *f.ods, *username)
	if err != nil {
		return err
	}
	defer t.db.Close()
	us, sys, org, u := t.users, t.sys, t.org, t.user
	if err := us.SetPassword(ctx, sys, u.ID, password); err != nil {
		return flagError(err, userFields)
	}
	fmt.Fprintf(stdout, "password of user %s of %s set; their sessions have ended\n", u.Username, org.ODSCode)
	return nil
}

// readPassword reads a password from the file, or from standard input
// when no file is named and standard input is not a terminal. The
// password is the first line, without its line ending; anything after it
// is refused, so a file with two lines is not half-used.
func readPassword(file string) (string, error) {
	var r io.Reader
	from := "standard input"
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r, from = f, file
	} else {
		if f, ok := stdin.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				return "", errors.New("password: give it in a file with --password-file FILE, or on standard input " +
					"(printf '%s' \"$PW\" | crs user ...); it is never read from a terminal or the command line")
			}
		}
		r = stdin
	}
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", fmt.Errorf("password: read %s: %w", from, err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	switch {
	case len(b) == 0:
		return "", fmt.Errorf("password: %s is empty", from)
	case bytes.ContainsAny(b, "\r\n"):
		return "", fmt.Errorf("password: %s holds more than one line; put the password alone on one line", from)
	}
	return string(b), nil
}

// roleList lists the role profiles a user can be given.
func roleList() string {
	var names []string
	for _, r := range crs.Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// namedUser is a user named on the command line, with their trust and
// what acting on them needs.
type namedUser struct {
	db    *store.DB
	org   *crs.Organisation
	users *store.UserService
	sys   crs.Actor
	user  *crs.User
}

// openUser opens the database and finds the trust's user by username; the
// caller closes db.
func openUser(ctx context.Context, dsn, ods, username string) (*namedUser, error) {
	db, org, err := openTrust(ctx, dsn, ods)
	if err != nil {
		return nil, err
	}
	t := &namedUser{db: db, org: org, users: store.NewUserService(db), sys: crs.SystemActor(org.ID)}
	if t.user, err = t.users.FindUserByUsername(ctx, t.sys, username); err != nil {
		db.Close()
		return nil, fmt.Errorf("--username: %v (list them with crs user list)", crs.ErrorMessage(err))
	}
	return t, nil
}

// userUnlock unlocks an account locked after too many failed logins.
func userUnlock(ctx context.Context, args []string, stdout io.Writer) error {
	f := newUserFlags("unlock", "user unlock --db DSN --ods CODE --username U\n\nUnlocks an account locked after too many failed logins in a row.", stdout)
	username := f.fs.String("username", "", "the user's login name (required)")
	if err := parseFlags(f.fs, args); err != nil {
		return err
	}
	if err := required("user unlock", map[string]string{"ods": *f.ods, "username": *username}); err != nil {
		return err
	}
	t, err := openUser(ctx, *f.db, *f.ods, *username)
	if err != nil {
		return err
	}
	defer t.db.Close()
	if err := t.users.UnlockUser(ctx, t.sys, t.user.ID); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s of %s unlocked\n", t.user.Username, t.org.ODSCode)
	return nil
}
