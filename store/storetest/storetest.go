// Package storetest opens real databases for tests: SQLite in a temporary
// folder always, and PostgreSQL when CRS_TEST_POSTGRES holds a DSN, each
// test in a schema of its own that is dropped afterwards.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/demo"
	"github.com/opencrs/crs/store"
)

// Epoch is the time the test clock starts at.
var Epoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Engines runs f once per available database engine, as a subtest named
// after it, each with a fresh database and a fixed clock at Epoch.
func Engines(t *testing.T, f func(t *testing.T, db *store.DB, clock *crs.FixedClock)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		clock := crs.NewFixedClock(Epoch)
		f(t, OpenSQLite(t, clock), clock)
	})
	t.Run("postgres", func(t *testing.T) {
		clock := crs.NewFixedClock(Epoch)
		f(t, OpenPostgres(t, clock), clock)
	})
}

// OpenSQLite opens a new SQLite database in a temporary folder.
func OpenSQLite(t testing.TB, clock crs.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "crs.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	if clock != nil {
		db.Clock = clock
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenPostgres opens a new schema in the PostgreSQL database named by
// CRS_TEST_POSTGRES, or skips the test when it is not set.
func OpenPostgres(t testing.TB, clock crs.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), PostgresDSN(t))
	if err != nil {
		t.Fatalf("open postgres schema: %v", err)
	}
	if clock != nil {
		db.Clock = clock
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenBench opens the database a benchmark runs on: PostgreSQL (a new
// schema) with CRS_BENCH_POSTGRES=1 and CRS_TEST_POSTGRES, else SQLite in
// a temporary folder, with the system clock.
func OpenBench(b testing.TB) *store.DB {
	b.Helper()
	if os.Getenv("CRS_BENCH_POSTGRES") != "" {
		return OpenPostgres(b, nil)
	}
	return OpenSQLite(b, nil)
}

// PostgresDSN makes a new schema in the PostgreSQL database named by
// CRS_TEST_POSTGRES, dropped when the test ends, and returns the DSN
// that opens it (for a test of the crs command); it skips the test when
// CRS_TEST_POSTGRES is not set.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("CRS_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("CRS_TEST_POSTGRES is not set: PostgreSQL contract tests skipped (.ci/run sets it)")
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	// Cleanups run last added first: the schema is dropped after the
	// test's databases on it are closed.
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("CRS_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Trust is an organisation made for a test, with an actor of each role.
type Trust struct {
	Org    *crs.Organisation
	System crs.Actor
	Users  map[crs.Role]*crs.User
}

// Actor returns the trust's actor in the role, for direct care.
func (tr *Trust) Actor(r crs.Role) crs.Actor {
	return crs.ActorFor(tr.Users[r], "direct care")
}

// Password is the password of every user NewTrust makes.
const Password = "test-password-1"

// NewTrust adds an organisation with the ODS code and a user of each role
// (username "<role>.<ods>" lower-cased, password Password).
func NewTrust(t testing.TB, db *store.DB, ods string) *Trust {
	t.Helper()
	ctx := context.Background()
	org := &crs.Organisation{ODSCode: ods, Name: "Test Trust " + ods, MRNPrefix: ods[:1]}
	if err := store.NewOrganisationService(db).CreateOrganisation(ctx, crs.SystemActor(""), org); err != nil {
		t.Fatalf("create organisation: %v", err)
	}
	tr := &Trust{Org: org, System: crs.SystemActor(org.ID), Users: map[crs.Role]*crs.User{}}
	us := store.NewUserService(db)
	for _, r := range crs.Roles() {
		u := &crs.User{Username: string(r) + "." + lower(ods), Name: "Test " + r.Name(), Role: r}
		if err := us.CreateUser(ctx, tr.System, u, Password); err != nil {
			t.Fatalf("create user: %v", err)
		}
		tr.Users[r] = u
	}
	return tr
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// Journey returns the services demo.SeedJourney seeds a trust's patient
// journey through, over db.
func Journey(db *store.DB) demo.JourneyServices {
	return demo.JourneyServices{Organisations: store.NewOrganisationService(db), Referrals: store.NewReferralService(db),
		Outpatients: store.NewOutpatientService(db), WaitingList: store.NewWaitingListService(db), Inpatients: store.NewInpatientService(db),
		ED: store.NewEDService(db), Loader: db, Clock: db.Clock}
}

// TableCounts counts the rows of every table of the database, by table:
// what a test compares before and after something that must leave no
// trace.
func TableCounts(t testing.TB, db *store.DB) map[string]int {
	t.Helper()
	ctx := context.Background()
	// A virtual table's own tables (a full-text index's segments) are
	// left out: the virtual table's rows are counted.
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
		AND name NOT IN (SELECT name FROM pragma_table_list WHERE type = 'shadow')`
	if db.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.Reader().QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: %v", len(tables), tables)
	}
	counts := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tb).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tb, err)
		}
		counts[tb] = n
	}
	return counts
}

// Golden compares got with the file testdata/name of the package under
// test or, with update (the package's -update flag), rewrites the file.
func Golden(t testing.TB, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to write it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was written; run go test -update and review the diff\ngot:\n%s", path, got)
	}
}

// Relate gives the actor a legitimate relationship with the registered
// patient for a day, by a self-claim (which raises its alert), so a test
// of clinical content can read it.
func Relate(t testing.TB, db *store.DB, a crs.Actor, patientID string) {
	t.Helper()
	if _, err := store.NewAccessService(db).GrantAccess(context.Background(), a, patientID, crs.GrantClaim, "relationship for a test"); err != nil {
		t.Fatalf("relate %s to patient %s: %v", a.Username, patientID, err)
	}
}

// AssignToED gives each actor a department assignment to the trust's
// emergency department from 2000 on, so that they are related to every
// patient in the department, as the A&E staff of a trust are.
func (tr *Trust) AssignToED(t testing.TB, db *store.DB, as ...crs.Actor) {
	t.Helper()
	acc := store.NewAccessService(db)
	for _, a := range as {
		if err := acc.Assign(context.Background(), tr.Actor(crs.RoleAdmin), &crs.Assignment{UserID: a.UserID, Kind: crs.AssignDepartment,
			Value: "ED", StartsOn: crs.NewDate(2000, 1, 1)}); err != nil {
			t.Fatalf("assign %s to the emergency department: %v", a.Username, err)
		}
	}
}

// Incompressible is n letters (a to z) that do not compress, from seed:
// a value longer than a PostgreSQL index entry can hold however it is
// stored, for tests of values the store keeps by their start.
func Incompressible(seed uint32, n int) string {
	b := make([]byte, 0, n)
	for x := seed; len(b) < n; {
		x = x*1664525 + 1013904223
		b = append(b, byte('a'+(x>>24)%26))
	}
	return string(b)
}

// OpenProcesses opens n stores on one new PostgreSQL schema, as n crs
// processes on one database are, each listening for the others' change
// notices; it skips the test when CRS_TEST_POSTGRES is not set.
func OpenProcesses(t *testing.T, n int) []*store.DB {
	t.Helper()
	dsn := PostgresDSN(t)
	var out []*store.DB
	for range n {
		db, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		wait, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = db.WaitListening(wait)
		cancel()
		if err != nil {
			t.Fatalf("not listening for other processes' changes: %v", err)
		}
		out = append(out, db)
	}
	return out
}
