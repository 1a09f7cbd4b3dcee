package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/store"
)

// runImport runs `crs import legacy`: a legacy PAS extract into a trust.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "legacy" {
		fmt.Fprintln(stdout, `Usage: crs import legacy DIR --db DSN --ods CODE [--report FILE.json] [--html FILE.html] [--dry-run]

  legacy   load a legacy PAS migration extract (the twelve CSV files of DIR)`)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags("import legacy", "import legacy DIR --db DSN --ods CODE [flags]", stdout)
	dsn := fs.String("db", "", "database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust the extract is loaded into")
	reportFile := fs.String("report", "", "write the report to this file: JSON, or HTML when the name ends in .html")
	htmlFile := fs.String("html", "", "also write the report as a page to this file")
	dry := fs.Bool("dry-run", false, "check the extract and report, load nothing")
	batch := fs.Int("batch", golive.DefaultBatchSize, "rows per command")
	dir, err := parseWithDir(fs, args[1:])
	if err != nil {
		return err
	}
	x, err := golive.Read(dir)
	if err != nil {
		return err
	}
	var rep *golive.Report
	if *dry {
		rep = golive.NewReport(x, nil)
	} else {
		if *dsn == "" || *ods == "" {
			return fmt.Errorf("%w: give the database (--db) and the trust (--ods), or --dry-run", errUsage)
		}
		if !strings.EqualFold(*ods, x.TrustODS) {
			return fmt.Errorf("the extract in %s is of trust %s, not %s (extract.csv line 2)", dir, x.TrustODS, strings.ToUpper(*ods))
		}
		db, org, err := openTrust(ctx, *dsn, *ods)
		if err != nil {
			return err
		}
		defer db.Close()
		im := &golive.Importer{Store: db, Log: db, OrgID: org.ID, BatchSize: *batch, Progress: stderr}
		if _, err := im.Load(ctx, x); err != nil {
			return fmt.Errorf("import stopped (run the same command again to carry on): %w", err)
		}
		if rep, err = golive.ReportAfterLoad(ctx, x, store.NewReportSource(db), db, org.ID); err != nil {
			return err
		}
	}
	for _, f := range []string{*reportFile, *htmlFile} {
		if f == "" {
			continue
		}
		if err := writeReport(f, rep); err != nil {
			return err
		}
	}
	printSummary(stdout, rep, *dry)
	return nil
}

// parseWithDir parses flags (each also from its CRS_<FLAG> variable)
// given before or after the one folder argument, and returns the folder.
func parseWithDir(fs *flag.FlagSet, args []string) (string, error) {
	var dir string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dir, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	if rest := fs.Args(); dir == "" && len(rest) > 0 {
		dir, rest = rest[0], rest[1:]
		if len(rest) > 0 {
			return "", fmt.Errorf("%w: one extract folder, not %q", errUsage, rest)
		}
	}
	if dir == "" {
		return "", fmt.Errorf("%w: name the folder of the extract", errUsage)
	}
	return dir, nil
}

func writeReport(file string, rep *golive.Report) error {
	var b []byte
	var err error
	if strings.HasSuffix(strings.ToLower(file), ".html") {
		b, err = rep.HTML()
	} else {
		b, err = rep.JSON()
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

func printSummary(w io.Writer, rep *golive.Report, dry bool) {
	verb := "loaded"
	if dry {
		verb = "would load (dry run)"
	}
	fmt.Fprintf(w, "%-22s %8s %8s %8s\n", "file", "rows", "accepted", "rejected")
	for _, name := range rep.Files.Keys {
		c := rep.Files.Values[name]
		fmt.Fprintf(w, "%-22s %8d %8d %8d\n", name, c.Rows, c.Accepted, c.Rejected)
	}
	fmt.Fprintf(w, "%s: %d live patients (%d merged records), %d appointments (%d out of slot), %d waiting list entries, %d inpatients\n",
		verb, rep.Patients.Live, rep.Patients.Merged, rep.Appointments.Accepted, rep.Appointments.OutOfSlot, rep.WaitingList.Accepted, rep.Inpatients.Accepted)
	fmt.Fprintf(w, "likely duplicate patients for review: %d pairs; RTT incomplete pathways at %s: %d\n",
		len(rep.LikelyDuplicates), rep.RTTIncomplete.CensusDate, rep.RTTIncomplete.Total)
}

// runGolive runs `crs golive`: the checks of a cutover.
func runGolive(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "rehearse" {
		return goliveRehearse(ctx, args[1:], stdout)
	}
	if len(args) > 0 && args[0] == "check" {
		return goliveCheck(ctx, args[1:], stdout)
	}
	if len(args) == 0 || args[0] != "reconcile" {
		fmt.Fprintln(stdout, `Usage: crs golive reconcile DIR --db DSN --ods CODE [--report FILE.json]
       crs golive rehearse --db DSN --ods CODE --interface NAME FILE... [--interface NAME FILE...] [--json]
       crs golive check --db DSN --ods CODE --extract DIR [--interface NAME FILE...] [--threshold NAME=VALUE]... [--html FILE] [--json]

  reconcile   compare a legacy extract, record by record, with what OpenCRS holds
  rehearse    run the recorded traffic of the systems that stay against the migrated record, in a dry run
  check       gather import, reconciliation, rehearsal and data quality into a go / no-go summary`)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags("golive reconcile", "golive reconcile DIR --db DSN --ods CODE [--report FILE.json]", stdout)
	dsn := fs.String("db", "", "database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust the extract was imported into")
	reportFile := fs.String("report", "", "also write the reconciliation as JSON to this file")
	dir, err := parseWithDir(fs, args[1:])
	if err != nil {
		return err
	}
	if *dsn == "" || *ods == "" {
		return fmt.Errorf("%w: give the database (--db) and the trust (--ods)", errUsage)
	}
	x, err := golive.Read(dir)
	if err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	rec, err := golive.Reconcile(ctx, x, db, db, store.NewReportSource(db), org.ID)
	if err != nil {
		return err
	}
	if *reportFile != "" {
		b, err := rec.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*reportFile, b, 0o644); err != nil {
			return fmt.Errorf("write the reconciliation: %w", err)
		}
	}
	rec.WriteText(stdout)
	if n := rec.Unaccounted(); n > 0 {
		return fmt.Errorf("%d records of the extract are unaccounted for in OpenCRS", n)
	}
	return nil
}
