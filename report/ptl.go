package report

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/internal/pipe"
)

// The patient tracking list extract: every pathway whose RTT clock runs,
// one line each, with its wait and validation flags, as trusts load it
// into their tracking tools and validate it week by week.

// ptlHeader is the first line of the PTL extract.
var ptlHeader = []string{"ppi", "hospital_number", "nhs_number", "name", "treatment_function", "consultant", "priority",
	"clock_start", "days_waiting", "weeks_waiting", "admitted_pathway", "next_event", "next_event_date", "validation"}

// ExportPTL writes the whole PTL matching f as CSV, a row at a time: one
// goroutine reads the rows, another writes them (pipe.Run).
func (s *Service) ExportPTL(ctx context.Context, a crs.Actor, w io.Writer, f crs.PTLFilter) error {
	out := newCSVExtract(w, ptlHeader)
	rec := make([]string, len(ptlHeader))
	var lastStart crs.Date
	read := func(ctx context.Context, emit func(*crs.PTLRow) error) error {
		return s.src.EachPTLRow(ctx, a, f, emit)
	}
	if err := pipe.Run(ctx, read, clonePTLRow, func(r *crs.PTLRow) error {
		// Rows come in clock start order, so the wait columns are
		// written out once per date.
		if !r.ClockStart.Equal(lastStart.Time) || rec[7] == "" {
			lastStart = r.ClockStart
			rec[7], rec[8], rec[9] = r.ClockStart.String(), strconv.Itoa(r.Days), strconv.Itoa(r.Weeks)
		}
		return out.write(ptlRecord(rec, r))
	}); err != nil {
		return err
	}
	return out.close()
}

// clonePTLRow copies a row the reader will reuse.
func clonePTLRow(r *crs.PTLRow) crs.PTLRow {
	c := *r
	c.Flags = slices.Clone(r.Flags)
	return c
}

// ptlRecord fills rec with the PTL row's line of the extract, but for
// the clock start and wait (rec[7] to rec[9]), which ExportPTL fills once
// per date.
func ptlRecord(rec []string, r *crs.PTLRow) []string {
	rec[0], rec[1], rec[2], rec[3] = r.PPI, r.MRN, r.NHSNumber, r.Name
	rec[4], rec[5], rec[6] = r.TreatmentFunction, r.ConsultantCode, r.Priority
	rec[10], rec[11], rec[12] = strconv.FormatBool(r.Admitted), r.NextEventKind, ""
	if !r.NextEventAt.IsZero() {
		rec[12] = r.NextEventAt.In(crs.London).Format("2006-01-02 15:04")
	}
	rec[13] = strings.Join(r.Flags, "; ")
	return rec
}
