package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/golive"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
)

const goliveCheckSynopsis = `golive check --db DSN --ods CODE --extract DIR [--interface NAME FILE...]... [--threshold NAME=VALUE]... [--html FILE] [--json]

Gathers the evidence of a cutover into a go / no-go summary for the programme
board: the import of the legacy extract in DIR (its rows accepted and rejected
by reason, read again from the extract, and the accepted rows the import has
loaded, from its record of migrated rows), the reconciliation of the extract
with what OpenCRS holds (as crs golive reconcile), the rehearsal of the
interfaces given (as crs golive rehearse; none given, not measured) and the
data quality report (as crs report dq). Each criterion has a figure, a
threshold (the most allowed), pass or fail, and the command with its detail.
Exits non-zero when any criterion is over its threshold (no-go).

Default thresholds (set each with --threshold NAME=VALUE, or NAME=none to
show it for information only):
%s
Every other criterion (import_rejected_FILE_REASON per file and reason code,
likely_duplicate_pairs, reconcile_changed_since_import, rehearsal_messages,
rehearsal_outbound, dq_CHECK for each data quality check) is for information
unless given a threshold.

Every run is kept in the database, with who ran it (--by), for the
programme board's page /golive in the server.

--html FILE also writes the summary as a page; --json prints
{"go": BOOL, "failed": [NAME...], "criteria": [{"name", "description",
"figure", "threshold" (null: information), "pass", "detail"}...]}.`

// thresholdList is the repeatable --threshold flag.
type thresholdList map[string]*float64

func (t thresholdList) String() string { return "" }
func (t thresholdList) Set(s string) error {
	if err := golive.ParseThreshold(s, t); err != nil {
		return fmt.Errorf("--threshold: %s", crs.ErrorMessage(err))
	}
	return nil
}

func defaultThresholdsText() string {
	var names []string
	for n := range golive.DefaultThresholds {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		v := golive.DefaultThresholds[n]
		fmt.Fprintf(&b, "  %-30s %s\n", n, golive.FormatFigure(&v))
	}
	return b.String()
}

// goliveCheck runs `crs golive check`.
func goliveCheck(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("golive check", fmt.Sprintf(goliveCheckSynopsis, defaultThresholdsText()), stdout)
	f := rehearsalFlags{
		dsn:   fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://..."),
		ods:   fs.String("ods", "", "ODS code of the trust (required)"),
		at:    fs.String("at", "", "apply the rehearsed messages as at this time (RFC 3339); now by default"),
		fresh: fs.Bool("fresh-ids", false, "rehearse every message as new, even one whose MSH-10 came before"),
	}
	dir := fs.String("extract", "", "the folder of the legacy extract that was imported (required)")
	thresholds := thresholdList{}
	fs.Var(thresholds, "threshold", "NAME=VALUE: the most a criterion's figure may be (repeatable; none: for information)")
	htmlFile := fs.String("html", "", "also write the summary as a page to this file")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	by := fs.String("by", os.Getenv("USER"), "who runs the check, as the board's page shows it")
	asOf := fs.String("as-of", "", "the date of the data quality checks (YYYY-MM-DD); today by default")
	runs, rest, err := splitRuns(args)
	if err != nil {
		return err
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if err := required("golive check", map[string]string{"ods": *f.ods, "extract": *dir}); err != nil {
		return err
	}
	if len(fs.Args()) > 0 {
		return fmt.Errorf("%w: unexpected %q (files follow their --interface)", errUsage, fs.Args())
	}
	x, err := golive.Read(*dir)
	if err != nil {
		return err
	}
	db, org, err := openTrust(ctx, *f.dsn, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	if !strings.EqualFold(org.ODSCode, x.TrustODS) {
		return fmt.Errorf("the extract in %s is of trust %s, not %s (extract.csv line 2)", *dir, x.TrustODS, org.ODSCode)
	}
	in := golive.DecisionInput{Extract: golive.NewReport(x, nil), Thresholds: thresholds, ExtractDir: *dir}
	if in.NotLoaded, err = golive.NotLoaded(ctx, x, db, org.ID); err != nil {
		return err
	}
	if in.Reconcile, err = golive.Reconcile(ctx, x, db, db, store.NewReportSource(db), org.ID); err != nil {
		return err
	}
	day := crs.LocalDate(db.Clock.Now())
	if *asOf != "" {
		if day, err = crs.ParseDate(strings.TrimSpace(*asOf)); err != nil {
			return usageError("--as-of: " + crs.ErrorMessage(err))
		}
	}
	if in.DQ, err = report.New(store.NewReportSource(db)).DataQuality(ctx, crs.SystemActor(org.ID), day); err != nil {
		return err
	}
	clock := db.Clock
	if len(runs) > 0 {
		// Last: the rehearsal may set the clock to the traffic's time.
		if in.Rehearsal, err = rehearse(ctx, db, org, runs, f); err != nil {
			return err
		}
	}
	d, err := golive.Decide(in)
	if err != nil {
		return fmt.Errorf("--threshold: %s", crs.ErrorMessage(err))
	}
	// Kept at the time it ran, not the rehearsed traffic's.
	db.Clock = clock
	run := &crs.GoLiveCheck{CheckedBy: *by, Extract: *dir, Go: d.Go, Failed: d.Failed, Criteria: d.Criteria}
	if err := store.NewGoLiveCheckService(db).RecordGoLiveCheck(ctx, crs.SystemActor(org.ID), run); err != nil {
		return fmt.Errorf("keep the check: %w", err)
	}
	if *htmlFile != "" {
		b, err := d.HTML()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*htmlFile, b, 0o644); err != nil {
			return fmt.Errorf("write the summary: %w", err)
		}
	}
	if *asJSON {
		b, err := d.JSON()
		if err != nil {
			return err
		}
		if _, err := stdout.Write(append(b, '\n')); err != nil {
			return err
		}
	} else if err := d.WriteText(stdout); err != nil {
		return err
	}
	if !d.Go {
		return fmt.Errorf("no-go: over their threshold: %s", strings.Join(d.Failed, ", "))
	}
	return nil
}
