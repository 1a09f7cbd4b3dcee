package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/store"
)

// runTrust sets up the trusts (organisations) of a deployment.
func runTrust(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const synopsis = `trust add --db DSN --ods CODE --name NAME [--mrn-prefix P]
       crs trust list --db DSN

  crs trust add   add a trust (an organisation, by its ODS code) to a database
  crs trust list  list the trusts of a database

A new deployment starts with "crs trust add", then "crs user add" for its
first administrator, who adds the rest of the staff on the Staff page.`
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: crs %s\n", synopsis)
		return errUsage
	}
	switch args[0] {
	case "add":
		return trustAdd(ctx, args[1:], stdout)
	case "list":
		return trustList(ctx, args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: crs %s\n", synopsis)
		return nil
	}
	fmt.Fprintf(stderr, "crs trust: unknown subcommand %q\n\nUsage: crs %s\n", args[0], synopsis)
	return errUsage
}

func trustAdd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("trust add", "trust add --db DSN --ods CODE --name NAME [--mrn-prefix P]\n\n"+
		"Adds a trust to the database (made if it does not exist yet). Its staff are\nadded with crs user add.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "the trust's ODS code: 3 to 5 capital letters or digits, e.g. RXX (required)")
	name := fs.String("name", "", `the trust's name, e.g. "Riverside Hospitals NHS Foundation Trust" (required)`)
	prefix := fs.String("mrn-prefix", "", "up to 3 capital letters put before the hospital numbers the trust allocates")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("trust add", map[string]string{"ods": *ods, "name": *name}); err != nil {
		return err
	}
	org := &crs.Organisation{ODSCode: strings.ToUpper(strings.TrimSpace(*ods)), Name: strings.TrimSpace(*name), MRNPrefix: strings.ToUpper(strings.TrimSpace(*prefix))}
	if err := org.Validate(); err != nil {
		return flagError(err, map[string]string{"ods_code": "--ods", "name": "--name", "mrn_prefix": "--mrn-prefix"})
	}
	if err := makeSQLiteDir(*dsn); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	if err := store.NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		return flagError(err, map[string]string{"ods_code": "--ods", "name": "--name", "mrn_prefix": "--mrn-prefix"})
	}
	// A new trust holds no resource: it is indexed under this version.
	if err := fhir.RecordIndexCurrent(ctx, db, crs.SystemActor(org.ID)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trust %s added: %s", org.ODSCode, org.Name)
	if org.MRNPrefix != "" {
		fmt.Fprintf(stdout, ", hospital numbers %s0000001 onwards", org.MRNPrefix)
	}
	fmt.Fprintf(stdout, "\nnext: crs user add --db %s --ods %s --username U --name \"Full Name\" --role admin --password-file FILE\n", shellQuote(*dsn), org.ODSCode)
	return nil
}

func trustList(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("trust list", "trust list --db DSN\n\nLists the trusts of the database: ODS code, hospital number prefix and name.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	db, err := openExisting(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	orgs, err := store.NewOrganisationService(db).FindOrganisations(ctx)
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		fmt.Fprintln(stdout, "no trusts yet: add one with crs trust add")
		return nil
	}
	for _, o := range orgs {
		fmt.Fprintf(stdout, "%-6s %-4s %s\n", o.ODSCode, o.MRNPrefix, o.Name)
	}
	return nil
}

// required returns a usage error naming the required flags of the
// command left empty.
func required(command string, flags map[string]string) error {
	var missing []string
	for name, v := range flags {
		if strings.TrimSpace(v) == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	verb := "is"
	if len(missing) > 1 {
		verb = "are"
	}
	return usageError(fmt.Sprintf("%s %s required (see crs %s --help)", strings.Join(missing, " and "), verb, command))
}

// usageError is a wrong command line with a message saying what was
// wrong; the command exits 2, like errUsage.
type usageError string

func (e usageError) Error() string        { return string(e) }
func (e usageError) Is(target error) bool { return target == errUsage }

// flagError rewrites the field errors of a crs error to name the flags
// they came from (flags maps a field to its flag), one per line.
func flagError(err error, flags map[string]string) error {
	fields := crs.FieldErrors(err)
	if crs.ErrorCode(err) != crs.EINVALID || len(fields) == 0 {
		return err
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		name := flags[k]
		if name == "" {
			name = k
		}
		if name == "" {
			lines = append(lines, fields[k])
			continue
		}
		lines = append(lines, name+": "+fields[k])
	}
	return errors.New(strings.Join(lines, "\n  "))
}

// makeSQLiteDir makes the folder of a SQLite database file, so a new
// deployment can be set up in one command.
func makeSQLiteDir(dsn string) error {
	path, ok, err := sqlitePath(dsn)
	if !ok || err != nil {
		return err
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("make the database folder: %w", err)
		}
	}
	return nil
}

// sqlitePath returns the file of a SQLite DSN, and false for a DSN of
// another database; "sqlite:" without a file is an error.
func sqlitePath(dsn string) (string, bool, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		if dsn == "sqlite:" {
			return "", true, errNoSQLitePath
		}
		return strings.TrimPrefix(dsn, "sqlite:"), true, nil
	case strings.HasSuffix(dsn, ".db") && !strings.Contains(dsn, "://"):
		return dsn, true, nil
	}
	return "", false, nil
}

// openTrust opens an existing database and finds the trust with the ODS
// code in it. A SQLite file that does not exist is an error, not a new
// empty database.
func openTrust(ctx context.Context, dsn, ods string) (*store.DB, *crs.Organisation, error) {
	ods = strings.ToUpper(strings.TrimSpace(ods))
	if err := (&crs.Organisation{ODSCode: ods, Name: "x"}).Validate(); err != nil {
		return nil, nil, flagError(err, map[string]string{"ods_code": "--ods"})
	}
	db, err := openExisting(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	org, err := store.NewOrganisationService(db).FindOrganisationByODS(ctx, crs.SystemActor(""), ods)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		db.Close()
		return nil, nil, fmt.Errorf("no trust with ODS code %s in the database: add it with crs trust add --db %s --ods %s --name NAME", ods, shellQuote(dsn), ods)
	} else if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, org, nil
}

// errNoSQLitePath is the mistake of --db sqlite: without a file.
var errNoSQLitePath = usageError("--db sqlite: needs a file path, e.g. sqlite:crs-data/crs.db")

// checkExisting says what is wrong with a SQLite database named by --db
// before it is opened: no file path, a folder that does not exist, a
// folder where the file should be, or no file (a new empty database
// would have no trust and no users). Other databases pass.
func checkExisting(dsn string) error {
	path, ok, err := sqlitePath(dsn)
	if !ok || err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("cannot open %s: folder %s does not exist", dsn, dir)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("no database at %s: check --db, or set one up with crs trust add --db %s --ods CODE --name NAME", path, shellQuote(dsn))
	case err != nil:
		return fmt.Errorf("cannot open %s: %w", dsn, err)
	case fi.IsDir():
		return fmt.Errorf("cannot open %s: %s is a folder, not a database file", dsn, path)
	}
	return nil
}

// requireTrust refuses a database with no trust in it: no one could log
// in, and nothing received could be filed.
func requireTrust(ctx context.Context, orgs *store.OrganisationService, dsn string) error {
	list, err := orgs.FindOrganisations(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("the database has no trust: add one with crs trust add --db %s --ods CODE --name NAME, "+
			"then its first administrator with crs user add", shellQuote(dsn))
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it, so that a
// command printed for the user can be pasted back. A password in a
// database URL is shown as xxxxx: it may have come from a secret file.
func shellQuote(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			s = u.Redacted()
		}
	}
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@=+,%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// openExisting opens a database that is already set up: a SQLite file
// that does not exist is an error, not a new empty database.
func openExisting(ctx context.Context, dsn string) (*store.DB, error) {
	if err := checkExisting(dsn); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}
