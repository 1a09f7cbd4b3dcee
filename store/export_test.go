package store

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/opencrs/crs"
)

// PatientTables and PatientTablesLeftOut let the tests of package
// store_test check the merge's list of patient tables against the schema.
var (
	PatientTables        = patientTables
	PatientTablesLeftOut = patientTablesLeftOut
)

// ExecSchema changes the schema directly, as a new migration would.
func (db *DB) ExecSchema(ctx context.Context, query string) error {
	_, err := db.write.ExecContext(ctx, query)
	return err
}

// RunMigrationStep runs the Go step of migration n (migrationHooks)
// again, in a transaction of its own.
func (db *DB) RunMigrationStep(ctx context.Context, n int) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := migrationHooks[n](ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// QueryCount runs a query of one number directly against the database.
func (db *DB) QueryCount(ctx context.Context, query string) (int64, error) {
	var n int64
	err := db.write.QueryRowContext(ctx, query).Scan(&n)
	return n, err
}

// RecordListed audits a list of patients shown, as a list page does.
func (db *DB) RecordListed(a crs.Actor, patientIDs []string, what string) {
	db.recordListed(a, patientIDs, what)
}

// DialPostgres makes the PostgreSQL databases opened until restore is
// called dial their write pool's connections with dial.
func DialPostgres(dial func(ctx context.Context, network, addr string) (net.Conn, error)) (restore func()) {
	pgDial = dial
	return func() { pgDial = nil }
}

// AfterResourceLookUp makes every command run f just after it looks up
// a resource (GetResource), until restore is called.
func AfterResourceLookUp(f func(typ, id string)) (restore func()) {
	resourceLookedUp.Store(&f)
	return func() { resourceLookedUp.Store(nil) }
}

// DeferredExec marks ctx for a statement that may be held back
// (pg_pipeline.go).
var DeferredExec = deferredExec

// FindByIdentifierSQL is the look-up of a patient by NHS number ("nhs")
// or hospital number ("mrn") an inbound message makes on PostgreSQL,
// for the plan tests.
var FindByIdentifierSQL = findByIdentifierSQL["postgres"]

// NHSProbeSQL reads the holders of an NHS number, as a patient is
// registered or changed, to check no other live patient holds it.
const NHSProbeSQL = nhsProbeSQL

// InsertPatientClashSQL is the INSERT of a new patient on PostgreSQL
// that checks for the NHS number's holder registered meanwhile.
var InsertPatientClashSQL = insertPatientClashSQL

// GetPatientSQL and UpdatePatientSQL read and write one patient by id
// within a command on PostgreSQL, for the plan tests.
var (
	GetPatientSQL    = getPatientSQL["postgres"]
	UpdatePatientSQL = updatePatientSQL
)

// EachPTLRowPlan reads the PTL as an export does, choosing the join in
// Go at hashAt patients a pathway (0: the database's own join), and
// returns the patients its audit record would name, sorted, each once.
func (db *DB) EachPTLRowPlan(ctx context.Context, orgID string, f crs.PTLFilter, hashAt float64, fn func(*crs.PTLRow) error) ([]string, error) {
	ids, err := db.eachPTLRowSnapshot(ctx, orgID, f, fn, hashAt)
	return listedIDs(ids), err
}

// SetBulkListAt makes a list of n patients or more a bulk list until the
// test ends.
func SetBulkListAt(t interface{ Cleanup(func()) }, n int) {
	was := bulkListAt
	bulkListAt = n
	t.Cleanup(func() { bulkListAt = was })
}

// TableRows counts the rows of every table of the database (of the
// test's own schema on PostgreSQL), by table.
func (db *DB) TableRows(ctx context.Context) (map[string]int64, error) {
	// A virtual table's own tables (a full-text index's segments) are
	// left out: the virtual table's rows are counted.
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN (SELECT name FROM pragma_table_list WHERE type = 'shadow')`
	if db.dialect.name == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.write.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	counts := make(map[string]int64, len(names))
	for _, n := range names {
		c, err := db.QueryCount(ctx, `SELECT count(*) FROM "`+n+`"`)
		if err != nil {
			return nil, err
		}
		counts[n] = c
	}
	return counts, nil
}

// ExplainPatientList returns the database's plan of the statement that
// lists the patients of q, one node a line.
func (db *DB) ExplainPatientList(ctx context.Context, orgID string, q crs.PatientList) (string, error) {
	_, list, args, err := patientListSQL(orgID, q)
	if err != nil {
		return "", err
	}
	explain := "EXPLAIN "
	if db.dialect.name == "sqlite" {
		explain = "EXPLAIN QUERY PLAN "
	}
	rows, err := db.read.QueryContext(ctx, explain+list, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%v\n", vals[len(vals)-1])
	}
	return b.String(), rows.Err()
}

// FewConcepts lets the tests of package store_test count the reads of
// the SNOMED CT closure a search asks before it runs.
var FewConcepts = fewConcepts

// InsertRows writes rows in bulk in the command, as its bulk writes do
// (insertRows), in ctx: DeferredExec(ctx) lets them be held back.
func (tx *Tx) InsertRows(ctx context.Context, table, cols string, ncols int, args []any, suffix string) error {
	return insertRowsIn(ctx, tx, table, cols, ncols, args, suffix)
}

// IsUniqueViolation says whether err is a clash of a unique key.
var IsUniqueViolation = isUniqueViolation

// MigrateAgain applies the migrations not recorded as applied, as the
// next start would, forgetting what it remembers of the trusts.
func (db *DB) MigrateAgain(ctx context.Context) error {
	db.orgsMu.Lock()
	db.orgs = map[string]orgFixed{}
	db.orgsMu.Unlock()
	db.rids.mu.Lock()
	db.rids.next, db.rids.end = 0, 0
	db.rids.mu.Unlock()
	return db.migrate(ctx)
}
