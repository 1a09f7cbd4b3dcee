package report

import (
	"context"
	"io"
	"strconv"

	"github.com/opencrs/crs"
)

// The waiting list extract: the entries of the elective admission list a
// filter of the waiting list page selects, in its order, one line each.

// waitingListHeader is the first line of the waiting list extract.
var waitingListHeader = []string{"entry_id", "hospital_number", "nhs_number", "name", "procedure_code", "procedure_name", "priority",
	"intended_management", "consultant", "treatment_function", "status", "decided_on", "clock_start", "days_waited", "weeks_waited",
	"tci_date", "suspended_until"}

// ExportWaitingList writes the whole waiting list matching the query as
// CSV, a row at a time.
func (s *Service) ExportWaitingList(ctx context.Context, a crs.Actor, w io.Writer, q crs.WaitingListQuery) error {
	out := newCSVExtract(w, waitingListHeader)
	if err := s.src.EachWaitingListRow(ctx, a, q, func(r *crs.WaitingListRow) error { return out.write(waitingListRecord(r)) }); err != nil {
		return err
	}
	return out.close()
}

// waitingListRecord is the entry's line of the extract. An entry waiting
// with a TCI date agreed shows as TCI agreed, as on the page.
func waitingListRecord(r *crs.WaitingListRow) []string {
	e, status := r.Entry, r.Entry.Status
	if status == crs.ListWaiting && !e.TCIDate.IsZero() {
		status = crs.ListViewTCIAgreed
	}
	return []string{e.ID, r.MRN, r.NHSNumber, r.Name, e.ProcedureCode, e.ProcedureName, e.Priority, e.IntendedManagement,
		e.ConsultantCode, e.TreatmentFunction, status, e.DecidedOn.String(), r.ClockStart.String(), strconv.Itoa(r.Days),
		strconv.Itoa(r.Weeks()), e.TCIDate.String(), e.SuspendedUntil.String()}
}
