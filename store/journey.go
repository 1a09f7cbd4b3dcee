package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	_ "time/tzdata" // clinic sessions and the midnight census are in UK time

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// rttKinds maps the stored name of an RTT event kind back to the kind.
var rttKinds = func() map[string]rtt.Kind {
	m := map[string]rtt.Kind{}
	for k := rtt.Kind(1); k.Valid(); k++ {
		m[k.String()] = k
	}
	return m
}()

// farFuture is the as-of date the stored clock is worked out at, so that
// every recorded event counts.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// view authorizes a read, runs fn and audits it against the patient fn
// found, so a read of one patient's journey is in their access trail.
func (db *DB) view(ctx context.Context, a crs.Actor, act crs.Activity, what string, fn func(q Querier) (patientID string, err error)) error {
	if err := a.Authorize(act); err != nil {
		db.refused(a, act)
		return err
	}
	pid, err := fn(db.read)
	if err != nil {
		return err
	}
	if act == crs.ActViewClinical { // the patient is known only now: the one clinical check
		if err := db.checkClinical(ctx, a, pid); err != nil {
			return err
		}
	}
	db.Audit(a, pid, crs.AuditView, what)
	return nil
}

// livePatient checks the patient belongs to the actor's trust and was not
// merged into another record.
func livePatient(tx *Tx, id string) error {
	var merged string
	err := tx.QueryRow(`SELECT merged_into FROM patients WHERE `+patientByID, id, tx.actor.OrgID).Scan(&merged)
	if err != nil {
		return notFound(err, "no such patient")
	}
	if merged != "" {
		return crs.Errorf(crs.ECONFLICT, "this patient's record was merged into another; use that record")
	}
	return nil
}

func dateText(d crs.Date) string { return d.String() }

func dateTime(d crs.Date) time.Time { return d.Time }

func localDate(t time.Time) crs.Date { return crs.LocalDate(t) }

// whenOrNow returns t, or now when t is zero, refusing times in the
// future: the user says when something happened, not when it will.
func whenOrNow(tx *Tx, t time.Time, field string) (time.Time, error) {
	if t.IsZero() {
		return tx.now, nil
	}
	t = t.UTC()
	if t.After(tx.now.Add(5 * time.Minute)) {
		return t, crs.FieldErrorf(field, "%s is in the future; record it when it has happened", t.In(crs.London).Format("02-Jan-2006 15:04"))
	}
	return t, nil
}

func oneIf(b bool) int {
	if b {
		return 1
	}
	return 0
}

// loadRTTEvents reads a pathway's RTT events in the order recorded.
func loadRTTEvents(ctx context.Context, q Querier, orgID, pathwayID string) ([]rtt.Event, error) {
	return queryRows(ctx, q, func(r scanner) (rtt.Event, error) {
		var date, kind string
		var st int
		var e rtt.Event
		err := r.Scan(&date, &kind, &st, &e.Ref, &e.Note)
		e.Date, e.Kind, e.Status = parseDate(date).Time, rttKinds[kind], rtt.Status(st)
		return e, err
	}, `SELECT event_date, kind, status, ref, note FROM rtt_events WHERE org_id = $1 AND pathway_id = $2 AND removed_at = '' ORDER BY seq`, orgID, pathwayID)
}

// addRTTEvent records an RTT event on a pathway and rewrites the
// pathway's stored clock. With strict, a status the user chose is
// checked against the pathway's state (rtt.ValidateEvents) and refused
// with the rule's reason; events the system derives are recorded as they
// are, and rtt.Evaluate applies the rules.
func addRTTEvent(tx *Tx, pathwayID string, e rtt.Event, strict bool) error {
	if pathwayID == "" {
		return nil
	}
	events, err := loadRTTEvents(tx.ctx, tx, tx.actor.OrgID, pathwayID)
	if err != nil {
		return err
	}
	if err := rtt.ValidateEvent(e); err != nil {
		var ee *rtt.EventError
		if errors.As(err, &ee) {
			return crs.FieldErrorf("rtt_status", "%s", ee.Reason)
		}
		return crs.FieldErrorf("rtt_status", "%s", err)
	}
	if strict {
		if reason := problemWith(append(events[:len(events):len(events)], e), len(events)); reason != "" {
			return crs.FieldErrorf("rtt_status", "RTT status %s: %s", e.Status, reason)
		}
	}
	var patientID string
	if err := tx.QueryRow(`SELECT patient_id FROM pathways WHERE id = $1 AND org_id = $2`, pathwayID, tx.actor.OrgID).Scan(&patientID); err != nil {
		return notFound(err, "no such pathway")
	}
	if _, err := tx.Exec(`INSERT INTO rtt_events (id, org_id, pathway_id, patient_id, seq, event_date, kind, status, ref, note, recorded_at)
		VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM rtt_events WHERE pathway_id = $3), $5, $6, $7, $8, $9, $10)`,
		crs.NewID(), tx.actor.OrgID, pathwayID, patientID, crs.DateOf(e.Date).String(), e.Kind.String(), int(e.Status), e.Ref, e.Note, formatTime(tx.now)); err != nil {
		return err
	}
	if err := refreshCourse(tx, pathwayID); err != nil {
		return err
	}
	return refreshPathway(tx, pathwayID, append(events, e))
}

// problemWith returns the reason rtt.ValidateEvents gives against the
// event at index i, or "".
func problemWith(events []rtt.Event, i int) string {
	err := rtt.ValidateEvents(events)
	if err == nil {
		return ""
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var ee *rtt.EventError
		if errors.As(e, &ee) && ee.Index == i {
			return ee.Reason
		}
	}
	return ""
}

// removeRTTEvents marks removed the RTT events recorded for a source
// record entered in error (a cancelled admission) and rewrites the clock.
// They stay in the table, so reports as recorded at a past time still
// see them.
func removeRTTEvents(tx *Tx, pathwayID, ref string, kinds ...rtt.Kind) error {
	if pathwayID == "" {
		return nil
	}
	for _, k := range kinds {
		if _, err := tx.Exec(`UPDATE rtt_events SET removed_at = $5 WHERE org_id = $1 AND pathway_id = $2 AND ref = $3 AND kind = $4 AND removed_at = ''`,
			tx.actor.OrgID, pathwayID, ref, k.String(), formatTime(tx.now)); err != nil {
			return err
		}
	}
	if err := refreshCourse(tx, pathwayID); err != nil {
		return err
	}
	return refreshPathway(tx, pathwayID, nil)
}

// clockState names the state of an evaluated clock.
func clockState(c rtt.Clock) string {
	switch {
	case c.Start.IsZero():
		return crs.ClockNone
	case c.Running:
		return crs.ClockRunning
	case c.Nullified:
		return crs.ClockNullified
	case c.TransferredOut:
		return crs.ClockTransferred
	case c.StopStatus == rtt.StatusActiveMonitoringPatient || c.StopStatus == rtt.StatusActiveMonitoringClinician:
		return crs.ClockMonitoring
	}
	return crs.ClockStopped
}

// The look-ups of refreshPathway, by pathway and trust: the earliest
// booked appointment, the earliest date to come in, and the DNAs whose
// outcome is still to record. Each reads the pathway's index
// (migration 0120), never the trust's appointments in time order.
const (
	nextAppointmentSQL = `SELECT COALESCE(MIN(start_at), '') FROM appointments WHERE pathway_id = $1 AND org_id = $2 AND status IN ('booked', 'checked_in')`
	nextTCISQL         = `SELECT COALESCE(MIN(tci_date), '') FROM waiting_list_entries WHERE pathway_id = $1 AND org_id = $2 AND status IN ('waiting', 'suspended') AND tci_date <> ''`
	dnaReviewSQL       = `SELECT COUNT(*) FROM appointments WHERE pathway_id = $1 AND org_id = $2 AND status = 'dna' AND outcomed_at = ''`
)

// refreshPathway works out the pathway's clock from its RTT events (read
// afresh when events is nil), its next booked event and whether a DNA
// awaits review, and stores them on the pathway row: the PTL reads them
// from there.
func refreshPathway(tx *Tx, pathwayID string, events []rtt.Event) error {
	var err error
	if events == nil {
		if events, err = loadRTTEvents(tx.ctx, tx, tx.actor.OrgID, pathwayID); err != nil {
			return err
		}
	}
	c := rtt.Evaluate(events, farFuture)
	var last rtt.Status
	for _, e := range events {
		if e.Status != 0 {
			last = e.Status
		}
	}
	var appt, tci string
	if err := tx.QueryRow(nextAppointmentSQL, pathwayID, tx.actor.OrgID).Scan(&appt); err != nil {
		return err
	}
	if err := tx.QueryRow(nextTCISQL, pathwayID, tx.actor.OrgID).Scan(&tci); err != nil {
		return err
	}
	next, kind := appt, ""
	if appt != "" {
		kind = "appointment"
	}
	if tci != "" {
		t := formatTime(parseDate(tci).Time)
		if next == "" || t < next {
			next, kind = t, "tci"
		}
	}
	var dna int
	if err := tx.QueryRow(dnaReviewSQL, pathwayID, tx.actor.OrgID).Scan(&dna); err != nil {
		return err
	}
	start, stop := "", ""
	if !c.Start.IsZero() {
		start = crs.DateOf(c.Start).String()
	}
	if !c.Stop.IsZero() {
		stop = crs.DateOf(c.Stop).String()
	}
	_, err = tx.Exec(`UPDATE pathways SET clock_state = $1, clock_start = $2, clock_stop = $3, stop_status = $4, stop_reason = $5,
		last_status = $6, decision_to_admit = $7, next_event_at = $8, next_event_kind = $9, dna_review = $10, updated_at = $11
		WHERE id = $12 AND org_id = $13`,
		clockState(c), start, stop, int(c.StopStatus), c.StopReason, int(last), oneIf(c.DecisionToAdmit), next, kind,
		oneIf(dna > 0), formatTime(tx.now), pathwayID, tx.actor.OrgID)
	return err
}

const pathwayColumns = `id, org_id, patient_id, ppi, ppi_issuer, referral_id, treatment_function, specialty, consultant_code, priority,
	clock_state, clock_start, clock_stop, stop_status, stop_reason, last_status, decision_to_admit, next_event_at, next_event_kind,
	dna_review, created_at, updated_at`

func scanPathway(r scanner) (*crs.Pathway, error) {
	var p crs.Pathway
	var start, stop, next, created, updated string
	var stopSt, lastSt, dta, dna int
	if err := r.Scan(&p.ID, &p.OrgID, &p.PatientID, &p.PPI, &p.PPIIssuer, &p.ReferralID, &p.TreatmentFunction, &p.Specialty,
		&p.ConsultantCode, &p.Priority, &p.ClockState, &start, &stop, &stopSt, &p.StopReason, &lastSt, &dta, &next, &p.NextEventKind,
		&dna, &created, &updated); err != nil {
		return nil, notFound(err, "no such pathway")
	}
	p.ClockStart, p.ClockStop = parseDate(start), parseDate(stop)
	p.StopStatus, p.LastStatus = rtt.Status(stopSt), rtt.Status(lastSt)
	p.DecisionToAdmit, p.DNAReview = dta == 1, dna == 1
	p.NextEventAt = parseTime(next)
	p.CreatedAt, p.UpdatedAt = parseTime(created), parseTime(updated)
	return &p, nil
}

func getPathway(ctx context.Context, q Querier, orgID, id string) (*crs.Pathway, error) {
	return scanPathway(q.QueryRowContext(ctx, `SELECT `+pathwayColumns+` FROM pathways WHERE id = $1 AND org_id = $2`, id, orgID))
}

// patientName writes a name as the NHS lists it: FAMILY, Given.
func patientName(family, given string) string {
	return strings.ToUpper(family) + ", " + given
}

// locationCode returns a location's code, or "" when id is "".
func locationCode(tx *Tx, id string) string {
	if id == "" {
		return ""
	}
	var code string
	if err := tx.QueryRow(`SELECT code FROM locations WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID).Scan(&code); err != nil && err != sql.ErrNoRows {
		return ""
	}
	return code
}

// bayCode returns the code of the bay or side room the bed is in, or ""
// when the bed stands on its ward directly (or there is no bed).
func bayCode(tx *Tx, bedID string) string {
	if bedID == "" {
		return ""
	}
	var code string
	if err := tx.QueryRow(`SELECT p.code FROM locations b JOIN locations p ON p.id = b.parent_id
		WHERE b.id = $1 AND b.org_id = $2 AND p.kind = $3`, bedID, tx.actor.OrgID, string(crs.LocationBay)).Scan(&code); err != nil {
		return ""
	}
	return code
}
