package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/fhir"
	"github.com/opencrs/crs/interfaces"
	"github.com/opencrs/crs/store"
)

// orderCatalogueHelp says what a test catalogue file holds.
const orderCatalogueHelp = `order catalogue load --db DSN --ods CODE FILE

Makes FILE the trust's catalogue of the pathology and radiology tests its
clinicians may order: new codes are added, known ones updated, and codes
not in the file withdrawn (orders placed stay). FILE is CSV (UTF-8) with
the header code,name,kind,specimen,destination and, optionally,
dm01_test: kind is pathology or radiology, specimen is required for
pathology, destination is the name of the outbound feed that takes the
test's orders (a feed listing trigger O01), and dm01_test is the DM01
test an entry is (MRI, CT, ...; blank for others): ordering it puts the
patient on the DM01 diagnostic waiting list. A file with a bad line loads nothing, and each bad line is
reported as FILE:LINE: what is wrong.`

// runOrder sets up what ordering tests needs.
func runOrder(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "catalogue" {
		return helpOrUsage(args, orderCatalogueHelp, stdout, stderr)
	}
	if len(args) < 2 || args[1] != "load" {
		return helpOrUsage(args[1:], orderCatalogueHelp, stdout, stderr)
	}
	return loadTrustFile(ctx, args[2:], "order catalogue load", orderCatalogueHelp, stdout, crs.ReadOrderCatalogue,
		func(db *store.DB, a crs.Actor, tests []crs.OrderableTest) (int, error) {
			return orderService(db).LoadCatalogue(ctx, a, tests)
		},
		"%[1]s: %[2]d tests in the catalogue of %[3]s, %[4]d added or changed\n")
}

// loadTrustFile runs a command that loads one file into a trust
// ("crs ... load --db DSN --ods CODE FILE"): it reads FILE with read (a
// bad file refused before the database is opened), hands what it read to
// load as the trust's system actor and prints report with the file's
// name, how many it held, the trust's ODS code and how many changed.
func loadTrustFile[T any](ctx context.Context, args []string, cmd, help string, stdout io.Writer, read func(io.Reader, string) ([]T, error),
	load func(db *store.DB, a crs.Actor, items []T) (int, error), report string) error {
	fs := newFlags(cmd, help, stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(cmd, map[string]string{"ods": *ods}); err != nil {
		return err
	}
	items, name, err := readOneFile(fs, cmd, read)
	if err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := load(db, crs.SystemActor(org.ID), items)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, report, name, len(items), org.ODSCode, n)
	return nil
}

// orderService is the orders and test catalogue over db.
func orderService(db *store.DB) *fhir.OrderService {
	return &fhir.OrderService{Store: db, Resources: store.NewResourceService(db)}
}

// resultService files results to the resource store, matched to orders,
// and keeps their acknowledgement worklist.
func resultService(db *store.DB) *fhir.ResultService {
	return &fhir.ResultService{Store: db, Resources: store.NewResourceService(db), Orders: orderService(db)}
}

// hl7Engine is the integration engine over db, tracking orders and
// filing results as every command that applies messages needs it.
func hl7Engine(db *store.DB, logger *slog.Logger) *interfaces.Engine {
	e := interfaces.New(db, logger)
	e.Orders, e.Results = orderService(db), resultService(db)
	return e
}

// summaryService keeps the discharge summaries in the resource store.
func summaryService(db *store.DB) *fhir.SummaryService {
	return &fhir.SummaryService{Store: db, Resources: store.NewResourceService(db)}
}
