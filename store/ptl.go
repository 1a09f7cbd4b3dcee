package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// The patient tracking list reads the clock stored on each pathway row:
// one indexed range scan over pathways_ptl_cover (which holds every
// column read, so the scan never visits the pathways table) or its
// treatment function or consultant variant, in clock start order, joined
// to patients for the page's rows only. No clock is evaluated per row.

const ptlSelect = `SELECT pw.id, pw.ppi, pw.patient_id, p.mrn, p.nhs_number, p.family_name, p.given_name, pw.treatment_function,
	pw.consultant_code, pw.priority, pw.clock_start, pw.decision_to_admit, pw.next_event_at, pw.next_event_kind, pw.dna_review
	FROM pathways pw JOIN patients p ON p.id = pw.patient_id
	WHERE pw.org_id = $1 AND pw.clock_state = 'running'`

// ptlQuery builds the query for a filter; limit 0 means no limit.
func ptlQuery(orgID string, f crs.PTLFilter, limit int) (string, []any, error) {
	q := ptlSelect
	args := []any{orgID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.TreatmentFunction != "" {
		q += ` AND pw.treatment_function = ` + arg(f.TreatmentFunction)
	}
	if f.ConsultantCode != "" {
		q += ` AND pw.consultant_code = ` + arg(strings.ToUpper(f.ConsultantCode))
	}
	switch f.Flag {
	case "":
	case crs.FlagNoFutureActivity:
		q += ` AND pw.next_event_at = ''`
	case crs.FlagOver18Weeks:
		q += ` AND pw.clock_start < ` + arg(f.AsOf.AddDate(0, 0, -rtt.StandardDays).Format("2006-01-02"))
	case crs.FlagDNAToReview:
		q += ` AND pw.dna_review = 1`
	default:
		return "", nil, crs.FieldErrorf("flag", "validation flag %q is not one of %q, %q, %q", f.Flag, crs.FlagNoFutureActivity, crs.FlagOver18Weeks, crs.FlagDNAToReview)
	}
	order := keyset{keys: []string{"pw.clock_start", "pw.id"}, desc: f.ShortestFirst}
	after, err := order.after(f.Cursor, arg)
	if err != nil {
		return "", nil, err
	}
	q += after + order.orderBy()
	if limit > 0 {
		q += ` LIMIT ` + arg(limit)
	}
	return q, args, nil
}

func scanPTLRow(r scanner, asOf crs.Date) (*crs.PTLRow, error) {
	var row crs.PTLRow
	var fam, given, start, next string
	var dta, dna int
	if err := r.Scan(&row.PathwayID, &row.PPI, &row.PatientID, &row.MRN, &row.NHSNumber, &fam, &given, &row.TreatmentFunction,
		&row.ConsultantCode, &row.Priority, &start, &dta, &next, &row.NextEventKind, &dna); err != nil {
		return nil, err
	}
	row.Name = patientName(fam, given)
	row.ClockStart = parseDate(start)
	row.Days = int(asOf.Sub(row.ClockStart.Time) / (24 * time.Hour))
	if row.Days < 0 {
		row.Days = 0
	}
	row.Weeks = rtt.WeekBand(row.Days)
	row.Admitted = dta == 1
	row.NextEventAt = parseTime(next)
	if next == "" {
		row.Flags = append(row.Flags, crs.FlagNoFutureActivity)
	}
	if rtt.Breached(row.Days) {
		row.Flags = append(row.Flags, crs.FlagOver18Weeks)
	}
	if dna == 1 {
		row.Flags = append(row.Flags, crs.FlagDNAToReview)
	}
	return &row, nil
}

// PTL returns a page of the patient tracking list.
func (s *ReferralService) PTL(ctx context.Context, a crs.Actor, f crs.PTLFilter) (*crs.PTLPage, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	} else if f.Limit > 1000 {
		f.Limit = 1000
	}
	if f.AsOf.IsZero() {
		f.AsOf = localDate(s.db.Clock.Now())
	}
	page := &crs.PTLPage{AsOf: f.AsOf}
	err := s.db.view(ctx, a, crs.ActManagePathways, "patient tracking list", func(q Querier) (string, error) {
		sqlText, args, err := ptlQuery(a.OrgID, f, f.Limit+1)
		if err != nil {
			return "", err
		}
		rows, err := queryRows(ctx, q, func(r scanner) (*crs.PTLRow, error) { return scanPTLRow(r, f.AsOf) }, sqlText, args...)
		page.Rows, page.Next = pageOf(rows, f.Limit, func(r *crs.PTLRow) []string { return []string{r.ClockStart.String(), r.PathwayID} })
		return "", err
	})
	return page, err
}

// ptlHeader is the first line of the PTL export.
var ptlHeader = []string{"ppi", "hospital_number", "nhs_number", "name", "treatment_function", "consultant", "priority",
	"clock_start", "days_waiting", "weeks_waiting", "admitted_pathway", "next_event", "next_event_date", "validation"}

// ExportPTL writes the whole PTL as CSV, a row at a time from one query,
// so a million pathways stream without being held in memory.
func (s *ReferralService) ExportPTL(ctx context.Context, a crs.Actor, w io.Writer, f crs.PTLFilter) error {
	if f.AsOf.IsZero() {
		f.AsOf = localDate(s.db.Clock.Now())
	}
	f.Cursor = ""
	return s.db.view(ctx, a, crs.ActManagePathways, "patient tracking list export", func(q Querier) (string, error) {
		sqlText, args, err := ptlQuery(a.OrgID, f, 0)
		if err != nil {
			return "", err
		}
		rows, err := q.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		cw := csv.NewWriter(w)
		if err := cw.Write(ptlHeader); err != nil {
			return "", err
		}
		// Each row is scanned straight into the CSV record, as
		// scanPTLRow and the PTL row would give it; the wait is worked
		// out once per clock start date, since rows come in that order.
		rec := make([]string, len(ptlHeader))
		var id, patientID sql.RawBytes
		var fam, given, start, next, lastStart string
		var dta, dna, days int
		var flags []string
		for n := 0; rows.Next(); n++ {
			if err := rows.Scan(&id, &rec[0], &patientID, &rec[1], &rec[2], &fam, &given, &rec[4],
				&rec[5], &rec[6], &start, &dta, &next, &rec[11], &dna); err != nil {
				return "", err
			}
			if n == 0 || start != lastStart {
				lastStart = start
				days = int(f.AsOf.Sub(parseDate(start).Time) / (24 * time.Hour))
				if days < 0 {
					days = 0
				}
				rec[7], rec[8], rec[9] = parseDate(start).String(), strconv.Itoa(days), strconv.Itoa(rtt.WeekBand(days))
			}
			rec[3] = patientName(fam, given)
			rec[10] = strconv.FormatBool(dta == 1)
			rec[12] = ""
			flags = flags[:0]
			if next == "" {
				flags = append(flags, crs.FlagNoFutureActivity)
			} else if t := parseTime(next); !t.IsZero() {
				rec[12] = t.In(crs.London).Format("2006-01-02 15:04")
			}
			if rtt.Breached(days) {
				flags = append(flags, crs.FlagOver18Weeks)
			}
			if dna == 1 {
				flags = append(flags, crs.FlagDNAToReview)
			}
			rec[13] = strings.Join(flags, "; ")
			if err := cw.Write(rec); err != nil {
				return "", err
			}
			if n%1000 == 999 {
				cw.Flush()
				if err := cw.Error(); err != nil {
					return "", err
				}
			}
		}
		if err := rows.Err(); err != nil {
			return "", err
		}
		cw.Flush()
		return "", cw.Error()
	})
}
