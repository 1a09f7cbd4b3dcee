package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/store"
)

// reportCommands are the subcommands of crs report: the statutory
// returns and extracts, each with its own flags.
var reportCommands = map[string]struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}{
	"coding": {"clinical coding completeness of a month: episodes finished and coded, by treatment function", reportCoding},
}

// runReport runs one of the reportCommands.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if c, ok := reportCommands[args[0]]; ok {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	w := stderr
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help" || args[0] == "list") {
		w = stdout
	}
	fmt.Fprintln(w, "Usage: crs report <report> --db DSN --ods CODE [flags]\n\nReports:")
	for _, name := range slices.Sorted(maps.Keys(reportCommands)) {
		fmt.Fprintf(w, "  %-10s %s\n", name, reportCommands[name].summary)
	}
	if w == stdout {
		return nil
	}
	return errUsage
}

// reportCoding prints the coding completeness of a month.
func reportCoding(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report coding", "report coding --db DSN --ods CODE --month YYYY-MM [--format text|json]\n\n"+
		"Counts the consultant episodes that finished in the month and how many of\nthem are coded, in total and by treatment function.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	month := fs.String("month", "", "the month, YYYY-MM (required)")
	format := fs.String("format", "text", "text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("report coding", map[string]string{"ods": *ods, "month": *month}); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return usageError(fmt.Sprintf("--format %q: text or json", *format))
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := store.NewCodingService(db).Completeness(ctx, crs.SystemActor(org.ID), *month)
	if err != nil {
		return flagError(err, map[string]string{"month": "--month"})
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	fmt.Fprintf(stdout, "Coding completeness %s, %s: %d of %d finished episodes coded (%.1f%%)\n", org.ODSCode, c.Month, c.Coded, c.Finished, 100*c.Share)
	for _, l := range c.ByFunction {
		fmt.Fprintf(stdout, "  %-4s %6d finished %6d coded\n", l.TreatmentFunction, l.Finished, l.Coded)
	}
	return nil
}
