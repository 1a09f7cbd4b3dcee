package store

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// The waiting list page reads the trust's waiting list entries with each
// patient's name and numbers and the RTT clock of the entry's pathway, a
// page at a time in a stable order (keyset paging: each page starts after
// the last row of the one before, so rows added meanwhile shift nothing).

// entryColumnsW is entryColumns of the waiting_list_entries table as w.
var entryColumnsW = func() string {
	cols := strings.Split(entryColumns, ",")
	for i, c := range cols {
		cols[i] = "w." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// waitStart is when the wait counts from: the pathway's RTT clock start,
// or the decision to admit when the entry has no clock.
const waitStart = `COALESCE(NULLIF(pw.clock_start, ''), w.decided_on)`

// waitingListOrders are the orders the waiting list pages in.
var waitingListOrders = map[string]keyset{
	crs.ListByPriority: {keys: []string{"w.priority", waitStart, "w.id"}},
	crs.ListByAdded:    {keys: []string{"w.decided_on", "w.id"}},
}

// waitingListSortValues are the values of a row in the list's order, the
// cursor of the page after it.
func waitingListSortValues(sort string) func(*crs.WaitingListRow) []string {
	if sort == crs.ListByAdded {
		return func(r *crs.WaitingListRow) []string { return []string{r.Entry.DecidedOn.String(), r.Entry.ID} }
	}
	return func(r *crs.WaitingListRow) []string {
		return []string{r.Entry.Priority, r.ClockStart.String(), r.Entry.ID}
	}
}

// waitingListQuery builds the query of a page; limit is the rows to read,
// 0 for all.
func waitingListQuery(orgID string, f crs.WaitingListQuery, limit int) (string, []any, error) {
	q := `SELECT ` + entryColumnsW + `, p.mrn, p.nhs_number, p.family_name, p.given_name, ` + waitStart + `,
		COALESCE(pw.clock_state, ''), COALESCE(pw.clock_stop, '')
		FROM waiting_list_entries w JOIN patients p ON p.id = w.patient_id
		LEFT JOIN pathways pw ON pw.id = w.pathway_id AND pw.org_id = w.org_id
		WHERE w.org_id = $1`
	args := []any{orgID}
	arg := paramAdder(&args)
	switch f.Status {
	case crs.ListViewLive:
		q += ` AND w.status IN ('waiting', 'suspended')`
	case crs.ListViewWaiting:
		q += ` AND w.status = 'waiting' AND w.tci_date = ''`
	case crs.ListViewTCIAgreed:
		q += ` AND w.status = 'waiting' AND w.tci_date <> ''`
	case crs.ListViewSuspended, crs.ListViewAdmitted, crs.ListViewRemoved:
		q += ` AND w.status = ` + arg(f.Status)
	default:
		return "", nil, crs.FieldErrorf("status", "status %q is not waiting, TCI agreed, suspended, admitted or removed", f.Status)
	}
	if f.TreatmentFunction != "" {
		q += ` AND w.treatment_function = ` + arg(f.TreatmentFunction)
	}
	if f.ConsultantCode != "" {
		q += ` AND w.consultant_code = ` + arg(strings.ToUpper(f.ConsultantCode))
	}
	switch {
	case f.Priority == "":
	case f.Priority == "P1":
		q += ` AND w.priority IN ('P1', 'P1a', 'P1b')`
	default:
		q += ` AND w.priority = ` + arg(f.Priority)
	}
	if f.IntendedManagement != "" {
		q += ` AND w.intended_management = ` + arg(f.IntendedManagement)
	}
	if f.NoTCIDate {
		q += ` AND w.tci_date = ''`
	}
	order, ok := waitingListOrders[f.Sort]
	if !ok {
		return "", nil, crs.FieldErrorf("sort", "order %q is not by priority or by date added", f.Sort)
	}
	page, err := order.page(f.Cursor, limit, arg)
	if err != nil {
		return "", nil, err
	}
	return q + page, args, nil
}

func scanWaitingListRow(r scanner, asOf crs.Date) (*crs.WaitingListRow, error) {
	var e crs.WaitingListEntry
	var row crs.WaitingListRow
	var decided, tci, until, removed, created, updated, fam, given, start, state, stop string
	var forT int
	if err := r.Scan(&e.ID, &e.OrgID, &e.PatientID, &e.PathwayID, &e.ReferralID, &decided, &e.IntendedManagement, &e.ProcedureCode,
		&e.ProcedureName, &e.Priority, &e.ConsultantCode, &e.TreatmentFunction, &forT, &e.Status, &tci, &until, &e.SuspendedReason,
		&e.DeclinedReasonable, &e.RemovalReason, &e.RemovalNote, &removed, &e.SpellID, &created, &updated,
		&row.MRN, &row.NHSNumber, &fam, &given, &start, &state, &stop); err != nil {
		return nil, err
	}
	e.DecidedOn, e.TCIDate, e.SuspendedUntil, e.RemovedOn = parseDate(decided), parseDate(tci), parseDate(until), parseDate(removed)
	e.ForTreatment = forT == 1
	e.CreatedAt, e.UpdatedAt = parseTime(created), parseTime(updated)
	row.Entry, row.Name, row.ClockStart = &e, patientName(fam, given), parseDate(start)
	end := asOf
	if state != "" && state != "running" && stop != "" {
		end = parseDate(stop)
	}
	if row.Days = int(end.Sub(row.ClockStart.Time) / (24 * time.Hour)); row.Days < 0 {
		row.Days = 0
	}
	return &row, nil
}

// WaitingList returns a page of the trust's waiting list.
func (s *WaitingListService) WaitingList(ctx context.Context, a crs.Actor, f crs.WaitingListQuery) (*crs.WaitingListPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	} else if f.Limit > 500 {
		f.Limit = 500
	}
	if f.AsOf.IsZero() {
		f.AsOf = localDate(s.db.Clock.Now())
	}
	page := &crs.WaitingListPage{AsOf: f.AsOf}
	err := s.db.view(ctx, a, crs.ActManagePathways, "waiting list", func(q Querier) (string, error) {
		sqlText, args, err := waitingListQuery(a.OrgID, f, f.Limit+1)
		if err != nil {
			return "", err
		}
		rows, err := queryRows(ctx, q, func(r scanner) (*crs.WaitingListRow, error) { return scanWaitingListRow(r, f.AsOf) }, sqlText, args...)
		page.Rows, page.Next = pageOf(rows, f.Limit, waitingListSortValues(f.Sort))
		return "", err
	})
	if err == nil {
		ids := make([]string, len(page.Rows))
		for i, r := range page.Rows {
			ids[i] = r.Entry.PatientID
		}
		s.db.recordListed(a, ids, "waiting list")
	}
	return page, err
}

// EachWaitingListRow calls fn with each entry of the waiting list
// matching the query, a row at a time from one query.
func (s *ReportSource) EachWaitingListRow(ctx context.Context, a crs.Actor, f crs.WaitingListQuery, fn func(*crs.WaitingListRow) error) error {
	if f.AsOf.IsZero() {
		f.AsOf = localDate(s.db.Clock.Now())
	}
	f.Cursor = ""
	return s.db.view(ctx, a, crs.ActManagePathways, "waiting list export", func(q Querier) (string, error) {
		sqlText, args, err := waitingListQuery(a.OrgID, f, 0)
		if err != nil {
			return "", err
		}
		var ids []string // the patients exported: one audit record for the export
		defer func() { s.db.recordListed(a, ids, "waiting list export") }()
		return "", eachRow(ctx, q, func(r scanner) error {
			row, err := scanWaitingListRow(r, f.AsOf)
			if err != nil {
				return err
			}
			ids = append(ids, row.Entry.PatientID)
			return fn(row)
		}, sqlText, args...)
	})
}
