package store

import (
	"context"
	"strings"

	"github.com/opencrs/crs"
)

// DiagnosticService records diagnostic requests through the one write
// path.
type DiagnosticService struct{ db *DB }

// NewDiagnosticService returns the diagnostic requests over db.
func NewDiagnosticService(db *DB) *DiagnosticService { return &DiagnosticService{db: db} }

var _ crs.DiagnosticService = (*DiagnosticService)(nil)

const diagnosticColumns = `id, org_id, patient_id, test, requested_on, planned, due_on, performed_on, cancelled_on, cancel_reason, order_id, created_at`

func scanDiagnostic(r scanner) (*crs.DiagnosticRequest, error) {
	d := &crs.DiagnosticRequest{}
	var requested, due, performed, cancelled, created string
	var planned int
	err := r.Scan(&d.ID, &d.OrgID, &d.PatientID, &d.Test, &requested, &planned, &due, &performed, &cancelled, &d.CancelReason, &d.OrderID, &created)
	d.RequestedOn, d.DueOn, d.PerformedOn, d.CancelledOn = parseDate(requested), parseDate(due), parseDate(performed), parseDate(cancelled)
	d.Planned, d.CreatedAt = planned == 1, parseTime(created)
	return d, err
}

// RequestDiagnostic records a request for a diagnostic test.
func (s *DiagnosticService) RequestDiagnostic(ctx context.Context, a crs.Actor, d *crs.DiagnosticRequest) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return insertDiagnostic(tx, d) })
}

// insertDiagnostic records a request within a command and appends its
// event.
func insertDiagnostic(tx *Tx, d *crs.DiagnosticRequest) error {
	if err := d.Validate(tx.now); err != nil {
		return err
	}
	if err := livePatient(tx, d.PatientID); err != nil {
		return err
	}
	if !d.Planned {
		d.DueOn = crs.Date{}
	}
	d.ID, d.OrgID, d.CreatedAt = crs.NewID(), tx.actor.OrgID, tx.now
	if _, err := tx.Exec(`INSERT INTO diagnostic_requests (id, org_id, patient_id, test, requested_on, planned, due_on, order_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, d.ID, d.OrgID, d.PatientID, d.Test, d.RequestedOn.String(), oneIf(d.Planned), d.DueOn.String(), d.OrderID, formatTime(tx.now)); err != nil {
		return err
	}
	summary := "diagnostic test requested: " + d.Test
	if d.Planned {
		summary += " (planned, due " + d.DueOn.String() + ")"
	}
	return tx.EmitData(&crs.Event{Type: crs.EventDiagnosticRequested, PatientID: d.PatientID, SubjectID: d.ID, EffectiveAt: d.RequestedOn.Time, Summary: summary},
		"diagnostic request", d)
}

// RecordDiagnosticDone records the date the test was done.
func (s *DiagnosticService) RecordDiagnosticDone(ctx context.Context, a crs.Actor, id string, on crs.Date) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return recordDiagnosticDone(tx, id, on) })
}

// recordDiagnosticDone records an open request's test done within a
// command.
func recordDiagnosticDone(tx *Tx, id string, on crs.Date) error {
	return changeDiagnostic(tx, id, crs.EventDiagnosticDone, func(d *crs.DiagnosticRequest) (string, error) {
		if on.IsZero() {
			on = localDate(tx.now)
		}
		if on.After(localDate(tx.now).Time) {
			return "", crs.FieldErrorf("performed_on", "the test cannot be done in the future (%s)", on.Display())
		}
		if on.Before(d.RequestedOn.Time) {
			return "", crs.FieldErrorf("performed_on", "the test cannot be done before it was requested (%s)", d.RequestedOn.Display())
		}
		d.PerformedOn = on
		_, err := tx.Exec(`UPDATE diagnostic_requests SET performed_on = $1 WHERE id = $2`, on.String(), d.ID)
		return "diagnostic test done: " + d.Test, err
	})
}

// CancelDiagnostic cancels a request not yet done.
func (s *DiagnosticService) CancelDiagnostic(ctx context.Context, a crs.Actor, id string, on crs.Date, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return cancelDiagnostic(tx, id, on, reason) })
}

// cancelDiagnostic cancels an open request within a command.
func cancelDiagnostic(tx *Tx, id string, on crs.Date, reason string) error {
	return changeDiagnostic(tx, id, crs.EventDiagnosticCancelled, func(d *crs.DiagnosticRequest) (string, error) {
		if strings.TrimSpace(reason) == "" {
			return "", crs.FieldErrorf("reason", "say why the request is cancelled")
		}
		if on.IsZero() {
			on = localDate(tx.now)
		}
		d.CancelledOn, d.CancelReason = on, strings.TrimSpace(reason)
		_, err := tx.Exec(`UPDATE diagnostic_requests SET cancelled_on = $1, cancel_reason = $2 WHERE id = $3`, on.String(), d.CancelReason, d.ID)
		return "diagnostic request cancelled: " + d.Test, err
	})
}

// changeDiagnostic applies one change to a request still open and
// appends its event.
func changeDiagnostic(tx *Tx, id, typ string, fn func(d *crs.DiagnosticRequest) (string, error)) error {
	d, err := scanDiagnostic(tx.QueryRow(`SELECT `+diagnosticColumns+` FROM diagnostic_requests WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
	if err != nil {
		return notFound(err, "no such diagnostic request")
	}
	if !d.Open() {
		return crs.Errorf(crs.ECONFLICT, "the %s request is already done or cancelled", d.Test)
	}
	summary, err := fn(d)
	if err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: typ, PatientID: d.PatientID, SubjectID: d.ID, EffectiveAt: tx.now, Summary: summary}, "diagnostic request", d)
}

// findDiagnosticByOrder returns the request an order made.
func findDiagnosticByOrder(tx *Tx, orderID string) (*crs.DiagnosticRequest, error) {
	d, err := scanDiagnostic(tx.QueryRow(`SELECT `+diagnosticColumns+` FROM diagnostic_requests WHERE org_id = $1 AND order_id = $2`, tx.actor.OrgID, orderID))
	if err != nil {
		return nil, notFound(err, "the order made no diagnostic request")
	}
	return d, nil
}

// InsertDiagnosticRequest records a diagnostic request within a command.
func (tx *Tx) InsertDiagnosticRequest(d *crs.DiagnosticRequest) error { return insertDiagnostic(tx, d) }

// FindDiagnosticRequestByOrder returns the request the order made.
func (tx *Tx) FindDiagnosticRequestByOrder(orderID string) (*crs.DiagnosticRequest, error) {
	return findDiagnosticByOrder(tx, orderID)
}

// RecordDiagnosticDone records an open request's test done.
func (tx *Tx) RecordDiagnosticDone(id string, on crs.Date) error {
	return recordDiagnosticDone(tx, id, on)
}

// CancelDiagnosticRequest cancels an open request.
func (tx *Tx) CancelDiagnosticRequest(id string, on crs.Date, reason string) error {
	return cancelDiagnostic(tx, id, on, reason)
}

// FindDiagnosticRequests lists a patient's requests, latest first.
func (s *DiagnosticService) FindDiagnosticRequests(ctx context.Context, a crs.Actor, patientID string) ([]*crs.DiagnosticRequest, error) {
	var out []*crs.DiagnosticRequest
	err := s.db.View(ctx, a, crs.ActViewDemographics, patientID, "diagnostic requests", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanDiagnostic, `SELECT `+diagnosticColumns+` FROM diagnostic_requests WHERE patient_id = $1 AND org_id = $2
			ORDER BY requested_on DESC, id DESC`, patientID, a.OrgID)
		return err
	})
	return out, err
}
