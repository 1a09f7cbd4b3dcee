package main

import (
	"context"
	"fmt"
	"io"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// resultMigrateHelp says what carrying results into the resource store
// does.
const resultMigrateHelp = `result migrate --db DSN --ods CODE

Carries the trust's results received before results were kept only in
the resource store (the typed results table, which nothing writes any
more) into it: each order's reports become one DiagnosticReport, a
version per report, with its Observations, linked to the order. Results
the resource store holds already are left as they are, so running it
again changes nothing. Carried results are not put on the worklist of
results to acknowledge. Run it once after upgrading, before clinicians
read results.`

// runResult looks after the trust's filed results.
func runResult(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "migrate" {
		return helpOrUsage(args, resultMigrateHelp, stdout, stderr)
	}
	fs := newFlags("result migrate", resultMigrateHelp, stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := required("result migrate", map[string]string{"ods": *ods}); err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	carried, skipped, err := migrateResults(ctx, db, org.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: results of %d orders carried into the resource store, %d there already\n", org.ODSCode, carried, skipped)
	return nil
}

// migrateResults carries a trust's results from the typed results table
// into the resource store.
func migrateResults(ctx context.Context, db *store.DB, orgID string) (carried, skipped int, err error) {
	chains, err := store.TypedResults(ctx, db, orgID)
	if err != nil {
		return 0, 0, err
	}
	return resultService(db).CarryResults(ctx, crs.SystemActor(orgID), chains)
}
