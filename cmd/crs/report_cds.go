package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/report"
	"github.com/opencrs/crs/store"
)

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

// reportCDS writes a CDS XML extract of a period to a file and lists the
// records it rejected.
func reportCDS(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report cds", "report cds --db DSN --ods CODE --type ecds|outpatient|apc --from DATE --to DATE --out FILE [--bulk] [--commissioner CODE]\n\n"+
		"Writes the Commissioning Data Set XML (CDS-XML 6-2-2) of the activity of the\n"+
		"period (both days included) for the Secondary Uses Service. By net change it\n"+
		"sends each record not yet sent as it is now (update type 9) and deletes\n"+
		"each sent before and gone since (update type 1); --bulk replaces all the\n"+
		"trust sent for the period. Every record is checked against the Data\n"+
		"Dictionary rules first: a record that breaks one is not written but listed\n"+
		"with its field and rule on stderr. With nothing to send no file is written.", stdout)
	dsn := fs.String("db", "sqlite:crs-data/crs.db", "the database: sqlite:PATH or postgres://...")
	ods := fs.String("ods", "", "ODS code of the trust (required)")
	typ := fs.String("type", "", "the CDS type: ecds (011), outpatient (020) or apc (130 finished episodes) (required)")
	from := fs.String("from", "", "the first day of the period, YYYY-MM-DD (required)")
	to := fs.String("to", "", "the last day of the period, YYYY-MM-DD (required)")
	out := fs.String("out", "", "the file to write (required)")
	bulk := fs.Bool("bulk", false, "bulk replacement of the period instead of net change")
	commissioner := fs.String("commissioner", "", "ORGANISATION IDENTIFIER (CODE OF COMMISSIONER) of the records and prime recipient (required)")
	site := fs.String("site", "", "ORGANISATION SITE IDENTIFIER (OF TREATMENT); default the ODS code with 01")
	test := fs.Bool("test", false, "mark the interchange as a test")
	format := fs.String("format", "text", "how to report what was written: text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required("report cds", map[string]string{"ods": *ods, "type": *typ, "from": *from, "to": *to, "out": *out, "commissioner": *commissioner}); err != nil {
		return err
	}
	var days [2]crs.Date
	for i, v := range []*string{from, to} {
		d, err := crs.ParseDate(*v)
		if err != nil {
			return usageError(fmt.Sprintf("--%s %q: a date is YYYY-MM-DD", []string{"from", "to"}[i], *v))
		}
		days[i] = d
	}
	db, org, err := openTrust(ctx, *dsn, *ods)
	if err != nil {
		return err
	}
	defer db.Close()
	progressed := false
	tmp := *out + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	opts := report.CDSOptions{Type: *typ, From: days[0], To: days[1], Bulk: *bulk, Provider: org.ODSCode, Commissioner: strings.ToUpper(*commissioner),
		Site: strings.ToUpper(*site), Now: db.Clock.Now(), Test: *test,
		Progress: func(done int) {
			fmt.Fprintf(stderr, "\r%d records written", done)
			progressed = true
		}}
	res, err := report.WriteCDS(ctx, store.NewCDSSource(db), crs.SystemActor(org.ID), opts, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if progressed {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return flagError(err, map[string]string{"type": "--type", "from": "--from", "commissioner": "--commissioner", "site": "--site"})
	}
	if res.Written {
		if err := os.Rename(tmp, *out); err != nil {
			return err
		}
	}
	for _, rj := range res.Rejected {
		fmt.Fprintf(stderr, "rejected %s (%s): %s: %s\n", rj.UniqueID, rj.Record, rj.Field, rj.Rule)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	kind := "net change"
	if res.Bulk {
		kind = "bulk replacement"
	}
	if !res.Written {
		fmt.Fprintf(stdout, "CDS %s %s %s to %s: nothing to send (%d records, %d unchanged, %d rejected); no file written\n",
			res.Type, kind, days[0], days[1], res.Records, res.Unchanged, len(res.Rejected))
		return nil
	}
	fmt.Fprintf(stdout, "%s: CDS %s %s %s to %s, interchange %s: %d records, %d sent, %d deleted, %d unchanged, %d rejected\n",
		*out, res.Type, kind, days[0], days[1], res.Control, res.Records, res.Sent, res.Deleted, res.Unchanged, len(res.Rejected))
	return nil
}
