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

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
)

// reportKinds are the returns and extracts `crs report` produces, in the
// order `crs report list` names them.
var reportKinds = []struct {
	name, period, summary string
	run                   func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}{
	{"rtt", "--month YYYY-MM", "monthly RTT return: completed admitted and non-admitted, incomplete with and without a decision to admit, new periods, by commissioner and return line", quiet(reportRTT)},
	{"ae", "--month YYYY-MM", "monthly A&E return: attendances by department type, share within 4 hours (95% standard), 12-hour waits from arrival and from decision to admit", quiet(reportAE)},
	{"dm01", "--month YYYY-MM", "DM01: diagnostic waiting list at the month's end by test and weeks waited (6-week standard), and the month's activity", quiet(reportDM01)},
	{"dq", "[--as-of DATE]", "data quality: untraced or invalid NHS numbers, missing ethnicity, GP, postcode, unoutcomed attendances, open pathways without status, referrals on no worklist, overdue follow-ups, admissions not coded; each record with its page", quiet(reportDQ)},
	{"kh03", "--quarter YYYY-Qn", "KH03: average available and occupied beds by sector, overnight from the midnight census and day-only apart", quiet(reportKH03)},
	{"kh03-day-only", "--ward CODE [--overnight]", "mark a ward day-only for KH03 (or, with --overnight, open overnight again)", quiet(reportKH03DayOnly)},
	{"rtt-incomplete", "--census DATE", "RTT incomplete pathways at a census date (Part 2 of the RTT return), by week band, treatment function and return line", quiet(reportRTTIncomplete)},
	{"coding", "--month YYYY-MM", "clinical coding completeness of a month: episodes finished and coded, by treatment function", reportCoding},
	{"cds", "--type ecds|outpatient|apc --from DATE --to DATE", "CDS XML extract for SUS: emergency care, outpatient or admitted patient care, by net change or bulk replacement", reportCDS},
}

// quiet adapts a report that writes only to stdout to the signature of
// those that also tell their progress on stderr.
func quiet(f func(ctx context.Context, args []string, stdout io.Writer) error) func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return func(ctx context.Context, args []string, stdout, _ io.Writer) error { return f(ctx, args, stdout) }
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
		if len(args) > 1 && (args[1] == "-h" || args[1] == "--help") {
			fmt.Fprintf(stdout, "Usage: crs report list\n\nLists the statutory returns this crs produces, with the period each asks for.\n")
			return nil
		}
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
			return k.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "crs report: unknown report %q\n\nUsage: crs %s", args[0], synopsis)
	return errUsage
}

// reportFlags are the flags every report has.
type reportFlags struct {
	db, ods, format, recordedAt *string
	fromEvents                  *bool // the RTT returns only
}

func newReportFlags(fs *flag.FlagSet) reportFlags {
	return reportFlags{
		db:         fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://..."),
		ods:        fs.String("ods", "", "ODS code of the trust reported on (required)"),
		format:     fs.String("format", "json", "json or csv"),
		recordedAt: fs.String("as-recorded-at", "", "only events recorded by this time (YYYY-MM-DDTHH:MM, London time, or RFC 3339): what was submitted then"),
	}
}

// rttBasis adds --from-events to the flags of an RTT return.
func (f *reportFlags) rttBasis(fs *flag.FlagSet) {
	f.fromEvents = fs.Bool("from-events", false, "work every clock out from the pathways' RTT events rather than from the clock courses kept with them: slower, the reference they are checked against")
}

// basis reads --as-recorded-at and --from-events.
func (f reportFlags) basis() (crs.ReportBasis, error) {
	s := strings.TrimSpace(*f.recordedAt)
	fromEvents := f.fromEvents != nil && *f.fromEvents
	if s == "" {
		return crs.ReportBasis{FromEvents: fromEvents}, nil
	}
	t, err := crs.ParseRecordedAt(s)
	if err != nil {
		return crs.ReportBasis{}, usageError(fmt.Sprintf("--as-recorded-at: %q is not a time; write it as YYYY-MM-DDTHH:MM (London time) or RFC 3339", s))
	}
	return crs.ReportBasis{RecordedBy: t, FromEvents: fromEvents}, nil
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
	fs := newFlags("report rtt-incomplete", "report rtt-incomplete --db DSN --ods CODE --census DATE [--format json|csv] [--pathways] [--as-recorded-at TIME] [--from-events]\n\n"+
		"Prints the incomplete RTT pathways at the end of the census date (Part 2 of\nthe monthly RTT return), worked out from the pathways' RTT events: total,\n"+
		"within 18 weeks, the share (4 places, half up), over 52 and 104 weeks, by\nweek band, treatment function and RTT return line.", stdout)
	f := newReportFlags(fs)
	f.rttBasis(fs)
	census := fs.String("census", "", "the census date, YYYY-MM-DD (required)")
	asAt := fs.String("as-at", "", "the same as --census: the figures for that date with everything known now")
	pathways := fs.Bool("pathways", false, "list every incomplete pathway as well (json only)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *census == "" {
		census = asAt
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
	return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, _ *store.DB) (*crs.RTTIncomplete, error) {
		return svc.RTTIncomplete(ctx, a, day, report.RTTIncompleteOptions{Basis: basis, Pathways: *pathways})
	}, report.WriteRTTIncompleteCSV)
}

func reportRTT(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report rtt", "report rtt --db DSN --ods CODE --month YYYY-MM [--format json|csv] [--commissioners FILE] [--as-recorded-at TIME [--compare]] [--from-events]\n\n"+
		"Prints the monthly RTT return of the month, worked out from the pathways'\nRTT events (through the clock courses kept with them): completed pathways admitted (Part 1a) and non-admitted (1b),\n"+
		"incomplete pathways (2) and those with a decision to admit (2a), by\ncommissioner and treatment function line, in weekly bands with the median,\n"+
		"92nd centile and share within 18 weeks; and new RTT periods (3).\n\n"+
		"By default every event known now counts, late entries included (as at).\nWith --as-recorded-at only the events recorded by then count: the return\n"+
		"as it was submitted. --compare prints both, the lines that differ and\nthe events recorded or removed since that explain each difference.", stdout)
	f := newReportFlags(fs)
	f.rttBasis(fs)
	month := fs.String("month", "", "the month, YYYY-MM (required)")
	compare := fs.Bool("compare", false, "with --as-recorded-at: the return known now beside the return as recorded then, the lines that differ and the events that explain them")
	comms := fs.String("commissioners", "", "a CSV file of practice_code,commissioner_code: who commissions each GP practice's patients (else \"unknown\")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := monthFlag("report rtt", f, *month)
	if err != nil {
		return err
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
	if _, err := f.comparable(*compare); err != nil {
		return err
	}
	if *compare {
		return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, _ *store.DB) (*crs.RTTReturnComparison, error) {
			return svc.RTTReturnCompare(ctx, a, m, basis.RecordedBy, o)
		}, report.WriteRTTComparisonCSV)
	}
	return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, _ *store.DB) (*crs.RTTReturn, error) {
		return svc.RTTReturn(ctx, a, m, o)
	}, report.WriteRTTReturnCSV)
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

func reportAE(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report ae", "report ae --db DSN --ods CODE --month YYYY-MM [--format json|csv] [--as-recorded-at TIME [--compare]]\n\n"+
		"Prints the monthly A&E return: attendances that arrived in the month by\nemergency care department type, the share that left within 4 hours of\n"+
		"arrival (standard 95%), and 12-hour waits from arrival and from the\ndecision to admit. Worked out from the attendances' recorded times.\n\n"+
		"By default everything known now counts, late entries included (as at).\nWith --as-recorded-at each attendance is as its events recorded by then\n"+
		"left it, a patient still in the department then counting to then: the\nreturn as it was submitted. --compare prints both, the figures that differ\n"+
		"and each attendance counted differently with the events recorded since.", stdout)
	f := newReportFlags(fs)
	month := fs.String("month", "", "the month, YYYY-MM (required)")
	compare := fs.Bool("compare", false, "with --as-recorded-at: the return known now beside the return as recorded then, the figures that differ and the events that explain them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := monthFlag("report ae", f, *month)
	if err != nil {
		return err
	}
	basis, err := f.comparable(*compare)
	if err != nil {
		return err
	}
	if *compare {
		return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, db *store.DB) (*crs.ReturnComparison[*crs.AEReturn], error) {
			return svc.AEReturnCompare(ctx, a, m, db.Clock.Now(), basis.RecordedBy)
		}, report.WriteComparisonCSV)
	}
	return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, db *store.DB) (*crs.AEReturn, error) {
		return svc.AEReturn(ctx, a, m, db.Clock.Now(), crs.AEReturnOptions{Basis: basis})
	}, report.WriteAEReturnCSV)
}

// comparable reads --as-recorded-at, which --compare needs.
func (f reportFlags) comparable(compare bool) (crs.ReportBasis, error) {
	basis, err := f.basis()
	if err != nil {
		return basis, err
	}
	if compare && basis.RecordedBy.IsZero() {
		return basis, usageError("--compare needs --as-recorded-at TIME: the time the return was submitted")
	}
	return basis, nil
}

// monthFlag checks the flags every monthly report needs and reads
// --month.
func monthFlag(command string, f reportFlags, month string) (crs.Date, error) {
	if err := required(command, map[string]string{"ods": *f.ods, "month": month}); err != nil {
		return crs.Date{}, err
	}
	if err := f.checkFormat(); err != nil {
		return crs.Date{}, err
	}
	m, err := report.ParseMonth(month)
	if err != nil {
		return crs.Date{}, usageError(flagError(err, map[string]string{"month": "--month"}).Error())
	}
	return m, nil
}

func reportKH03(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report kh03", "report kh03 --db DSN --ods CODE --quarter YYYY-Qn [--format json|csv] [--as-recorded-at TIME [--compare]]\n\n"+
		"Prints the KH03 return of the quarter (of the financial year starting in\nApril of YYYY: 2026-Q3 is October to December 2026): the average available\n"+
		"and occupied beds by sector, overnight from the midnight census of each\nnight (a patient on leave keeps the bed and counts as occupied), and the\n"+
		"beds of day-only wards apart (occupied: patients in them per weekday).\nAvailable beds are those the census of each night found.\n\n"+
		"By default each night's census as it stands now counts (taken again when\nlate entries changed it). With --as-recorded-at each night's census is\n"+
		"the last taken by then: the return as it was submitted. --compare prints\nboth, the figures that differ and each night counted differently with\nthe events recorded since.", stdout)
	f := newReportFlags(fs)
	quarter := fs.String("quarter", "", "the quarter, YYYY-Qn (required)")
	compare := fs.Bool("compare", false, "with --as-recorded-at: the return known now beside the return as recorded then, the figures that differ and the events that explain them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("report kh03", map[string]string{"ods": *f.ods, "quarter": *quarter}); err != nil {
		return err
	}
	if err := f.checkFormat(); err != nil {
		return err
	}
	q := strings.TrimSpace(*quarter)
	first, last, err := report.ParseQuarter(q)
	if err != nil {
		return usageError(flagError(err, map[string]string{"quarter": "--quarter"}).Error())
	}
	basis, err := f.comparable(*compare)
	if err != nil {
		return err
	}
	if *compare {
		return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, _ *store.DB) (*crs.ReturnComparison[*crs.KH03Return], error) {
			return svc.KH03ReturnCompare(ctx, a, q, first, last, basis.RecordedBy)
		}, report.WriteComparisonCSV)
	}
	return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, _ *store.DB) (*crs.KH03Return, error) {
		return svc.KH03Return(ctx, a, q, first, last, basis)
	}, report.WriteKH03CSV)
}

func reportKH03DayOnly(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report kh03-day-only", "report kh03-day-only --db DSN --ods CODE --ward CODE [--overnight]\n\n"+
		"Marks a ward as open for day cases only, so KH03 counts its beds apart\nfrom the overnight beds; --overnight marks it open overnight again.", stdout)
	db := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	ward := fs.String("ward", "", "the ward's code (required)")
	overnight := fs.Bool("overnight", false, "open overnight, not day-only")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("report kh03-day-only", map[string]string{"ods": *ods, "ward": *ward}); err != nil {
		return err
	}
	d, org, err := openTrust(ctx, *db, *ods)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := store.NewKH03Setup(d).SetWardDayOnly(ctx, crs.SystemActor(org.ID), *ward, !*overnight); err != nil {
		return err
	}
	state := "day-only"
	if *overnight {
		state = "open overnight"
	}
	fmt.Fprintf(stdout, "ward %s is %s\n", strings.TrimSpace(*ward), state)
	return nil
}

// produce opens the trust named by the flags, works a report out with fn
// as the system and writes it as JSON or, with --format csv, with
// writeCSV.
func produce[T any](ctx context.Context, f reportFlags, stdout io.Writer, fn func(svc *report.Service, a crs.Actor, db *store.DB) (T, error), writeCSV func(io.Writer, T) error) error {
	db, org, err := openTrust(ctx, *f.db, *f.ods)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := fn(report.New(store.NewReportSource(db)), crs.SystemActor(org.ID), db)
	if err != nil {
		return err
	}
	if *f.format == "csv" {
		return writeCSV(stdout, r)
	}
	return writeJSON(stdout, r)
}

func reportDQ(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report dq", "report dq --db DSN --ods CODE [--as-of DATE] [--format json|csv]\n\n"+
		"Lists the records to fix before the returns: untraced or invalid NHS\nnumbers; missing ethnicity, GP practice or postcode; attendances without an\n"+
		"outcome; running clocks without a known status; open referrals on no\nworklist; overdue follow-ups; admissions discharged over 30 days ago not\n"+
		"coded. Each line names the record and the page to fix it on.", stdout)
	f := newReportFlags(fs)
	asOf := fs.String("as-of", "", "the date the checks are made on, YYYY-MM-DD (default today)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("report dq", map[string]string{"ods": *f.ods}); err != nil {
		return err
	}
	if err := f.checkFormat(); err != nil {
		return err
	}
	var day crs.Date
	if *asOf != "" {
		d, err := crs.ParseDate(strings.TrimSpace(*asOf))
		if err != nil {
			return usageError("--as-of: " + crs.ErrorMessage(err))
		}
		day = d
	}
	return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, db *store.DB) (*crs.DQReport, error) {
		if day.IsZero() {
			day = crs.LocalDate(db.Clock.Now())
		}
		return svc.DataQuality(ctx, a, day)
	}, report.WriteDQCSV)
}

func reportDM01(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("report dm01", "report dm01 --db DSN --ods CODE --month YYYY-MM [--format json|csv]\n\n"+
		"Prints the DM01 return of the month: for each diagnostic test, the waiting\nlist at the month's end by completed weeks waited, those waiting 6 weeks or\n"+
		"more (the standard), and the tests done in the month, from the waiting\nlist and planned.", stdout)
	f := newReportFlags(fs)
	month := fs.String("month", "", "the month, YYYY-MM (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := monthFlag("report dm01", f, *month)
	if err != nil {
		return err
	}
	return produce(ctx, f, stdout, func(svc *report.Service, a crs.Actor, _ *store.DB) (*crs.DM01Return, error) {
		return svc.DM01Return(ctx, a, m)
	}, report.WriteDM01CSV)
}
