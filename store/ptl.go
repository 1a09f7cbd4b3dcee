package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/internal/pipe"
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
	args := []any{orgID}
	arg := paramAdder(&args)
	where, err := ptlWhere(f, arg)
	if err != nil {
		return "", nil, err
	}
	q := ptlSelect + where
	order := keyset{keys: []string{"pw.clock_start", "pw.id"}, desc: f.ShortestFirst}
	page, err := order.page(f.Cursor, limit, arg)
	if err != nil {
		return "", nil, err
	}
	return q + page, args, nil
}

// ptlWhere is what a filter adds to the WHERE of the PTL's pathways (pw),
// each value a parameter that arg adds.
func ptlWhere(f crs.PTLFilter, arg func(any) string) (string, error) {
	var q string
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
		return "", crs.FieldErrorf("flag", "validation flag %q is not one of %q, %q, %q", f.Flag, crs.FlagNoFutureActivity, crs.FlagOver18Weeks, crs.FlagDNAToReview)
	}
	return q, nil
}

func scanPTLRow(r scanner, asOf crs.Date) (*crs.PTLRow, error) {
	var p ptlScan
	return &p.row, p.scan(r, asOf)
}

// ptlScan scans PTL rows; an export reuses one for every row, so the
// columns read into it are not allocated row by row.
type ptlScan struct {
	row                     crs.PTLRow
	fam, given, start, next string
	dta, dna                int
}

// scan reads one row over p.row.
func (p *ptlScan) scan(r scanner, asOf crs.Date) error {
	row := &p.row
	if err := r.Scan(&row.PathwayID, &row.PPI, &row.PatientID, &row.MRN, &row.NHSNumber, &p.fam, &p.given, &row.TreatmentFunction,
		&row.ConsultantCode, &row.Priority, &p.start, &p.dta, &p.next, &row.NextEventKind, &p.dna); err != nil {
		return err
	}
	row.Name = patientName(p.fam, p.given)
	p.derive(asOf)
	return nil
}

// scanPathway reads a row of ptlPathwaysSelect over p.row, leaving the
// patient's numbers and name, the wait and the flags to the caller.
func (p *ptlScan) scanPathway(r scanner) error {
	row := &p.row
	return r.Scan(&row.PathwayID, &row.PPI, &row.PatientID, &row.TreatmentFunction,
		&row.ConsultantCode, &row.Priority, &p.start, &p.dta, &p.next, &row.NextEventKind, &p.dna)
}

// derive works out the wait and flags of the row just scanned.
func (p *ptlScan) derive(asOf crs.Date) {
	row := &p.row
	row.Flags = row.Flags[:0]
	row.ClockStart = parseDate(p.start)
	row.Days = int(asOf.Sub(row.ClockStart.Time) / (24 * time.Hour))
	if row.Days < 0 {
		row.Days = 0
	}
	row.Weeks = rtt.WeekBand(row.Days)
	row.Admitted = p.dta == 1
	row.NextEventAt = parseTime(p.next)
	if p.next == "" {
		row.Flags = append(row.Flags, crs.FlagNoFutureActivity)
	}
	if rtt.Breached(row.Days) {
		row.Flags = append(row.Flags, crs.FlagOver18Weeks)
	}
	if p.dna == 1 {
		row.Flags = append(row.Flags, crs.FlagDNAToReview)
	}
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
		if err != nil {
			return "", err
		}
		page.Rows, page.Next = pageOf(rows, f.Limit, func(r *crs.PTLRow) []string { return []string{r.ClockStart.String(), r.PathwayID} })
		page.Removed, page.RemovedTotal, err = ptlRemoved(ctx, q, a.OrgID, f)
		return "", err
	})
	if err == nil {
		ids := make([]string, len(page.Rows))
		for i, r := range page.Rows {
			ids[i] = r.PatientID
		}
		for _, r := range page.Removed {
			ids = append(ids, r.PatientID)
		}
		s.db.recordListed(a, ids, "patient tracking list"+ptlFilterText(f))
	}
	return page, err
}

// ptlRemoved reads the latest nullified pathways of the filter's service
// and consultant, and how many there are.
func ptlRemoved(ctx context.Context, q Querier, orgID string, f crs.PTLFilter) ([]*crs.PTLRemoved, int, error) {
	where := ` WHERE pw.org_id = $1 AND pw.clock_state = 'nullified'`
	args := []any{orgID}
	if f.TreatmentFunction != "" {
		args = append(args, f.TreatmentFunction)
		where += ` AND pw.treatment_function = $` + strconv.Itoa(len(args))
	}
	if f.ConsultantCode != "" {
		args = append(args, strings.ToUpper(f.ConsultantCode))
		where += ` AND pw.consultant_code = $` + strconv.Itoa(len(args))
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pathways pw`+where, args...).Scan(&n); err != nil || n == 0 {
		return nil, n, err
	}
	rows, err := queryRows(ctx, q, func(r scanner) (*crs.PTLRemoved, error) {
		var x crs.PTLRemoved
		var fam, given, stop string
		err := r.Scan(&x.PathwayID, &x.PPI, &x.PatientID, &fam, &given, &stop, &x.StopReason)
		x.Name, x.Nullified = patientName(fam, given), parseDate(stop)
		return &x, err
	}, `SELECT pw.id, pw.ppi, pw.patient_id, p.family_name, p.given_name, pw.clock_stop, pw.stop_reason
		FROM pathways pw JOIN patients p ON p.id = pw.patient_id`+where+` ORDER BY pw.clock_stop DESC, pw.id DESC LIMIT `+strconv.Itoa(crs.PTLRemovedShown), args...)
	return rows, n, err
}

// ReportSource is the record as the trust's reports read it: its lists
// streamed row by row, each read checked and audited as the pages' are.
type ReportSource struct{ db *DB }

// NewReportSource returns what the reports read, over db.
func NewReportSource(db *DB) *ReportSource { return &ReportSource{db: db} }

var _ crs.ReportSource = (*ReportSource)(nil)

// EachPTLRow calls fn with each pathway on the PTL, a row at a time from
// one query, so a million pathways stream without being held in memory.
func (s *ReportSource) EachPTLRow(ctx context.Context, a crs.Actor, f crs.PTLFilter, fn func(*crs.PTLRow) error) error {
	if f.AsOf.IsZero() {
		f.AsOf = localDate(s.db.Clock.Now())
	}
	f.Cursor = ""
	return s.db.view(ctx, a, crs.ActManagePathways, "patient tracking list export", func(q Querier) (string, error) {
		var ids []string // the patients exported: one audit record for the export
		defer func() { s.db.recordListed(a, ids, "patient tracking list export"+ptlFilterText(f)) }()
		var err error
		ids, err = s.db.eachPTLRowSnapshot(ctx, a.OrgID, f, fn, ptlHashJoinAt)
		return "", err
	})
}

// listing is fn that first notes each row's patient in ids, once, for
// the audit record of the list: a patient has several pathways, and the
// record sorts the ids it is given (a million pathways of 200,000
// patients sorted 200,000 ids, not a million).
func listing(ids *[]string, fn func(*crs.PTLRow) error) func(*crs.PTLRow) error {
	seen := make(map[string]struct{})
	return func(r *crs.PTLRow) error {
		if _, ok := seen[r.PatientID]; !ok {
			seen[r.PatientID] = struct{}{}
			*ids = append(*ids, r.PatientID)
		}
		return fn(r)
	}
}

// eachPTLRow calls fn with each row of sqlText, a ptlQuery read over q
// with the patients joined in SQL, as of asOf. The row fn is given is
// reused for the next: fn keeps nothing of it.
func eachPTLRow(ctx context.Context, q Querier, asOf crs.Date, fn func(*crs.PTLRow) error, sqlText string, args ...any) error {
	var p ptlScan
	return eachRow(ctx, q, func(r scanner) error {
		if err := p.scan(r, asOf); err != nil {
			return err
		}
		return fn(&p.row)
	}, sqlText, args...)
}

// ptlHashJoinAt and ptlHashJoinMax choose the plan of an export (see
// eachPTLRowSnapshot): join in Go when the patients table holds at most
// ptlHashJoinAt patients for every pathway on the list, and no more than
// ptlHashJoinMax in all.
const (
	ptlHashJoinAt  = 1.5
	ptlHashJoinMax = 750000
)

// eachPTLRowSnapshot reads the PTL for an export in one snapshot. The
// database's own join costs most of an export: SQLite joins by nested
// loop, for each pathway a look-up of its patient's id in the primary
// key's index and then of the row in the table (two B-tree descents a
// pathway, about three quarters of its reading); PostgreSQL hashes the
// patients but then sorts the million joined rows for the list's order,
// on disk, before it sends the first (1.3-1.7 s of a 5 s export), where
// the pathways alone come in that order from their covering index at
// once. When the patients table is small beside the pathways read (at
// most hashAt patients a pathway, and at most ptlHashJoinMax, as a
// patient takes about 130 bytes of memory), it reads the trust's
// patients' names and numbers once, in one pass over the table, into a
// map and the pathways alone from their covering index, and joins them
// here; otherwise it lets the database join. It returns the patients of
// the rows it gave fn, each once, for the export's audit record.
func (db *DB) eachPTLRowSnapshot(ctx context.Context, orgID string, f crs.PTLFilter, fn func(*crs.PTLRow) error, hashAt float64) ([]string, error) {
	// One snapshot for the counts, the patients and the pathways: SQLite
	// takes it at a transaction's first read, PostgreSQL only at
	// REPEATABLE READ (READ COMMITTED takes one a statement).
	var opts *sql.TxOptions
	if db.dialect.name == "postgres" {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	snap, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer snap.Rollback()
	sqlText, args, err := ptlQuery(orgID, f, 0)
	if err != nil {
		return nil, err
	}
	var patients, pathways int
	if hashAt > 0 {
		if err := snap.QueryRowContext(ctx, `SELECT COUNT(*) FROM patients`).Scan(&patients); err != nil {
			return nil, err
		}
		// Counted without the list's order, which the narrowest index
		// covering the filter answers in half the time of the PTL's own.
		countArgs := []any{orgID}
		where, err := ptlWhere(f, paramAdder(&countArgs))
		if err != nil {
			return nil, err
		}
		countText := `SELECT COUNT(*) FROM pathways pw WHERE pw.org_id = $1 AND pw.clock_state = 'running'` + where
		if err := snap.QueryRowContext(ctx, countText, countArgs...).Scan(&pathways); err != nil {
			return nil, err
		}
	}
	if hashAt <= 0 || patients > ptlHashJoinMax || float64(patients) > hashAt*float64(pathways) {
		var ids []string
		err := eachPTLRow(ctx, snap, f.AsOf, listing(&ids, fn), sqlText, args...)
		return ids, err
	}
	index, who, err := ptlPatients(ctx, snap, db.dialect, orgID, patients)
	if err != nil {
		return nil, err
	}
	var p ptlScan
	// One goroutine steps through the pathways, the caller's joins each
	// to its patient and works out its wait: both cores read the list.
	read := func(ctx context.Context, emit func(*ptlScan) error) error {
		var in ptlScan
		return eachRow(ctx, snap, func(r scanner) error {
			if err := in.scanPathway(r); err != nil {
				return err
			}
			return emit(&in)
		}, strings.Replace(sqlText, ptlSelect, ptlPathwaysSelect, 1), args...)
	}
	err = pipe.Run(ctx, read, func(in *ptlScan) ptlScan { return *in }, func(in *ptlScan) error {
		i, ok := index[in.row.PatientID]
		if !ok { // as the inner join would: a pathway's patient is always there
			return nil
		}
		w := &who[i]
		w.listed = true
		flags := p.row.Flags
		p = *in
		p.row.Flags = flags
		p.row.MRN, p.row.NHSNumber, p.row.Name = w.cols[:w.nhs], w.cols[w.nhs:w.name], w.cols[w.name:]
		p.derive(f.AsOf)
		return fn(&p.row)
	})
	var ids []string
	for i := range who {
		if who[i].listed {
			ids = append(ids, who[i].id)
		}
	}
	return ids, err
}

// ptlPathwaysSelect is ptlSelect without the patient's columns, for the
// export that joins in Go; its WHERE is the same.
const ptlPathwaysSelect = `SELECT pw.id, pw.ppi, pw.patient_id, pw.treatment_function,
	pw.consultant_code, pw.priority, pw.clock_start, pw.decision_to_admit, pw.next_event_at, pw.next_event_kind, pw.dna_review
	FROM pathways pw
	WHERE pw.org_id = $1 AND pw.clock_state = 'running'`

// ptlPatient is what the PTL shows of a patient: the hospital number,
// NHS number and name in one string, split at nhs and name; and whether
// the export listed the patient.
type ptlPatient struct {
	id        string
	cols      string
	nhs, name int32
	listed    bool
}

// ptlPatients reads the trust's patients in one pass over the table (an
// index of the trust's would take them in its order, a look-up of the
// table each): each patient, and the index of each id among them.
func ptlPatients(ctx context.Context, q Querier, d dialect, orgID string, n int) (map[string]int32, []ptlPatient, error) {
	notIndexed := "" // PostgreSQL reads a table in one pass when most of it is wanted
	if d.name == "sqlite" {
		notIndexed = " NOT INDEXED"
	}
	index := make(map[string]int32, n)
	out := make([]ptlPatient, 0, n)
	var id, mrn, nhs, fam, given sql.RawBytes
	var b strings.Builder
	err := eachRow(ctx, q, func(r scanner) error {
		if err := r.Scan(&id, &mrn, &nhs, &fam, &given); err != nil {
			return err
		}
		b.Reset()
		b.Grow(len(mrn) + len(nhs) + len(fam) + 2 + len(given))
		b.Write(mrn)
		b.Write(nhs)
		b.WriteString(strings.ToUpper(string(fam)))
		b.WriteString(", ")
		b.Write(given)
		key := string(id)
		index[key] = int32(len(out))
		out = append(out, ptlPatient{id: key, cols: b.String(), nhs: int32(len(mrn)), name: int32(len(mrn) + len(nhs))})
		return nil
	}, `SELECT id, mrn, nhs_number, family_name, given_name FROM patients`+notIndexed+` WHERE org_id = $1`, orgID)
	return index, out, err
}

// ptlFilterText says which part of the PTL a filter selects, for the
// audit record of the list: "" for the whole list.
func ptlFilterText(f crs.PTLFilter) string {
	var parts []string
	if f.TreatmentFunction != "" {
		parts = append(parts, "treatment function "+f.TreatmentFunction)
	}
	if f.ConsultantCode != "" {
		parts = append(parts, "consultant "+strings.ToUpper(f.ConsultantCode))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
