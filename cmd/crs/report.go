package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
	{"rtt", "--month YYYY-MM", "monthly RTT return: completed admitted and non-admitted, incomplete with and without a decision to admit, new periods, by commissioner and return line", reportRTT},
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
	return writeJSON(stdout, r)
}

func reportRTT(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report rtt", "report rtt --db DSN --ods CODE --month YYYY-MM [--format json|csv] [--commissioners FILE] [--as-recorded-at TIME]\n\n"+
		"Prints the monthly RTT return of the month, worked out from the pathways'\nRTT events: completed pathways admitted (Part 1a) and non-admitted (1b),\n"+
		"incomplete pathways (2) and those with a decision to admit (2a), by\ncommissioner and treatment function line, in weekly bands with the median,\n"+
		"92nd centile and share within 18 weeks; and new RTT periods (3).", stdout)
	f := newReportFlags(fs)
	month := fs.String("month", "", "the month, YYYY-MM (required)")
	comms := fs.String("commissioners", "", "a CSV file of practice_code,commissioner_code: who commissions each GP practice's patients (else \"unknown\")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("report rtt", map[string]string{"ods": *f.ods, "month": *month}); err != nil {
		return err
	}
	if err := f.checkFormat(); err != nil {
		return err
	}
	m, err := report.ParseMonth(*month)
	if err != nil {
		return usageError(flagError(err, map[string]string{"month": "--month"}).Error())
	}
	basis, err := f.basis()
	if err != nil {
		return err
	}
	o := report.RTTReturnOptions{Basis: basis}
	if *comms != "" {
		if o.Commissioners, err = readCommissioners(*comms); err != nil {
			return err
		}
	}
	db, org, err := openTrust(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := report.New(store.NewReportSource(db)).RTTReturn(ctx, crs.SystemActor(org.ID), m, o)
	if err != nil {
		return err
	}
	if *f.format == "csv" {
		return report.WriteRTTReturnCSV(stdout, r)
	}
	return writeJSON(stdout, r)
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(v)
}

// readCommissioners reads a CSV file of practice_code,commissioner_code
// (a header line first), saying FILE:LINE of any bad line.
func readCommissioners(path string) (map[string]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--commissioners: %w", err)
	}
	defer file.Close()
	r := csv.NewReader(file)
	r.FieldsPerRecord = 2
	out := map[string]string{}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v; each line is practice_code,commissioner_code", path, line, err)
		}
		if line == 1 && strings.EqualFold(rec[0], "practice_code") {
			continue
		}
		p, c := strings.ToUpper(strings.TrimSpace(rec[0])), strings.ToUpper(strings.TrimSpace(rec[1]))
		if p == "" || c == "" {
			return nil, fmt.Errorf("%s:%d: a practice code and a commissioner code are both needed", path, line)
		}
		out[p] = c
	}
}
