package store

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// The patient tracking list reads the clock stored on each pathway row:
// one indexed range scan over pathways_ptl (or its treatment function or
// consultant variant) in clock start order, joined to patients for the
// page's rows only. No clock is evaluated per row.

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
	cmp, dir := ">", ""
	if f.ShortestFirst {
		cmp, dir = "<", " DESC"
	}
	if f.Cursor != "" {
		start, id, ok := strings.Cut(f.Cursor, "|")
		if !ok {
			return "", nil, crs.FieldErrorf("cursor", "the page cursor is not valid")
		}
		q += ` AND (pw.clock_start, pw.id) ` + cmp + ` (` + arg(start) + `, ` + arg(id) + `)`
	}
	q += ` ORDER BY pw.clock_start` + dir + `, pw.id` + dir
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
		rows, err := q.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return "", err
		}
		defer rows.Close()
		for rows.Next() {
			row, err := scanPTLRow(rows, f.AsOf)
			if err != nil {
				return "", err
			}
			page.Rows = append(page.Rows, row)
		}
		if err := rows.Err(); err != nil {
			return "", err
		}
		if len(page.Rows) > f.Limit {
			page.Rows = page.Rows[:f.Limit]
			last := page.Rows[f.Limit-1]
			page.Next = last.ClockStart.String() + "|" + last.PathwayID
		}
		return "", nil
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
		rec := make([]string, len(ptlHeader))
		for n := 0; rows.Next(); n++ {
			r, err := scanPTLRow(rows, f.AsOf)
			if err != nil {
				return "", err
			}
			next := ""
			if !r.NextEventAt.IsZero() {
				next = r.NextEventAt.In(crs.London).Format("2006-01-02 15:04")
			}
			rec[0], rec[1], rec[2], rec[3] = r.PPI, r.MRN, r.NHSNumber, r.Name
			rec[4], rec[5], rec[6], rec[7] = r.TreatmentFunction, r.ConsultantCode, r.Priority, r.ClockStart.String()
			rec[8], rec[9], rec[10] = strconv.Itoa(r.Days), strconv.Itoa(r.Weeks), strconv.FormatBool(r.Admitted)
			rec[11], rec[12], rec[13] = r.NextEventKind, next, strings.Join(r.Flags, "; ")
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
