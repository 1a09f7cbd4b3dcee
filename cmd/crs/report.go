package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
)

// reportKinds are the returns and extracts `crs report` produces, in the
// order `crs report list` names them.
var reportKinds = []struct {
	name, period, summary string
	run                   func(ctx context.Context, args []string, stdout io.Writer) error
}{
	{"rtt-incomplete", "--census DATE", "RTT incomplete pathways at a census date (Part 2 of the RTT return), by week band, treatment function and return line", reportRTTIncomplete},
}

// runReport produces a statutory return or extract of a trust.
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	synopsis := "report <list|NAME> --db DSN --ods CODE [period] [--format json|csv]\n\n  crs report list    the returns this crs produces\n"
	for _, k := range reportKinds {
		synopsis += fmt.Sprintf("  crs report %s %s --format json|csv\n", k.name, k.period)
	}
	if len(args) == 0 {
		fmt.Fprintf(stderr, "Usage: crs %s", synopsis)
		return errUsage
	}
	switch args[0] {
	case "list":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPORT\tPERIOD\tWHAT IT HOLDS")
		for _, k := range reportKinds {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k.name, k.period, k.summary)
		}
		return tw.Flush()
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: crs %s", synopsis)
		return nil
	}
	for _, k := range reportKinds {
		if k.name == args[0] {
			return k.run(ctx, args[1:], stdout)
		}
	}
	fmt.Fprintf(stderr, "crs report: unknown report %q\n\nUsage: crs %s", args[0], synopsis)
	return errUsage
}

// reportFlags are the flags every report has.
type reportFlags struct {
	db, ods, format, recordedAt *string
}

func newReportFlags(fs *flag.FlagSet) reportFlags {
	return reportFlags{
		db:         fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://..."),
		ods:        fs.String("ods", "", "ODS code of the trust reported on (required)"),
		format:     fs.String("format", "json", "json or csv"),
		recordedAt: fs.String("as-recorded-at", "", "only events recorded by this time (YYYY-MM-DDTHH:MM, London time, or RFC 3339): what was submitted then"),
	}
}

// basis reads --as-recorded-at.
func (f reportFlags) basis() (crs.ReportBasis, error) {
	s := strings.TrimSpace(*f.recordedAt)
	if s == "" {
		return crs.ReportBasis{}, nil
	}
	t, err := parseRecordedAt(s)
	if err != nil {
		return crs.ReportBasis{}, usageError(fmt.Sprintf("--as-recorded-at: %q is not a time; write it as YYYY-MM-DDTHH:MM (London time) or RFC 3339", s))
	}
	return crs.ReportBasis{RecordedBy: t}, nil
}

// parseRecordedAt reads a time as RFC 3339, or as a London wall-clock time
// to the minute or second, or a date (its end).
func parseRecordedAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, crs.London); err == nil {
			return t, nil
		}
	}
	d, err := time.ParseInLocation("2006-01-02", s, crs.London)
	if err != nil {
		return time.Time{}, err
	}
	return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
}

// checkFormat refuses a format other than json or csv.
func (f reportFlags) checkFormat() error {
	switch *f.format {
	case "json", "csv":
		return nil
	}
	return usageError(fmt.Sprintf("--format: %q is not json or csv", *f.format))
}

func reportRTTIncomplete(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report rtt-incomplete", "report rtt-incomplete --db DSN --ods CODE --census DATE [--format json|csv] [--pathways] [--as-recorded-at TIME]\n\n"+
		"Prints the incomplete RTT pathways at the end of the census date (Part 2 of\nthe monthly RTT return), worked out from the pathways' RTT events: total,\n"+
		"within 18 weeks, the share (4 places, half up), over 52 and 104 weeks, by\nweek band, treatment function and RTT return line.", stdout)
	f := newReportFlags(fs)
	census := fs.String("census", "", "the census date, YYYY-MM-DD (required)")
	pathways := fs.Bool("pathways", false, "list every incomplete pathway as well (json only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("report rtt-incomplete", map[string]string{"ods": *f.ods, "census": *census}); err != nil {
		return err
	}
	if err := f.checkFormat(); err != nil {
		return err
	}
	day, err := crs.ParseDate(strings.TrimSpace(*census))
	if err != nil {
		return usageError("--census: " + crs.ErrorMessage(err))
	}
	basis, err := f.basis()
	if err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := report.New(store.NewReportSource(db)).RTTIncomplete(ctx, crs.SystemActor(org.ID), day, report.RTTIncompleteOptions{Basis: basis, Pathways: *pathways})
	if err != nil {
		return err
	}
	if *f.format == "csv" {
		return report.WriteRTTIncompleteCSV(stdout, r)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	return enc.Encode(r)
}
