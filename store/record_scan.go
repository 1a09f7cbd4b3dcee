package store

import (
	"context"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// A trust-wide search of spells, A&E attendances, referrals, pathways or
// appointments (a FHIR search naming no patient) reads the table a batch
// at a time in the order of patient, then id, through the table's index
// of (org_id, patient_id, id) (migration 0111), each batch one query. A
// sorted search of spells, attendances or appointments reads them in the
// order of their start (or an appointment's arrival), then id, through
// the indexes of migration 0126, so that a page reads about what it
// shows.
// Those reads keep the rules of the reads of one patient's records: the
// actor's role must find patients and open their administrative
// records, only the actor's trust's rows are read, and each batch is
// audited as a list shown, naming the patients whose records it holds.

// acrossPatients is how one table is listed across the trust's
// patients.
type acrossPatients[T any] struct {
	what    string // what the audit calls the records ("spells")
	cols    string // the columns scan reads
	from    string // the tables from FROM to the first condition, the trust's rows ($1)
	patient string // the column of the record's patient
	id      string // the column of the record's id
	status  string // the column RecordScan.Status narrows
	start   string // the column RecordScan.From and Before narrow; "" for none
	// arrival is the expression of when the patient arrived, where it
	// is not the start (ScanByArrival).
	arrival string
	scan    func(scanner) (T, error)
	key     func(T) (patientID, id string)
	// at is the record's start, and arrived when the patient arrived
	// (nil: at), for the cursor of a list by either.
	at, arrived func(T) time.Time
}

// recordBatch is the batch of a RecordScan with no limit, and most is
// the largest.
const (
	recordBatch = 200
	recordMost  = 1000
)

// list reads the batch of q and returns the cursor of the next.
func (t acrossPatients[T]) list(ctx context.Context, db *DB, a crs.Actor, q crs.RecordScan) ([]T, string, error) {
	for _, act := range []crs.Activity{crs.ActSearchPatients, crs.ActViewDemographics} {
		if err := a.Authorize(act); err != nil {
			db.refused(a, act)
			return nil, "", err
		}
	}
	if q.Limit <= 0 {
		q.Limit = recordBatch
	}
	q.Limit = min(q.Limit, recordMost)
	query, args, err := t.sql(a.OrgID, q)
	if err != nil {
		return nil, "", err
	}
	rows, err := queryRows(ctx, db.read, t.scan, query, args...)
	if err != nil {
		return nil, "", err
	}
	page, next := pageOf(rows, q.Limit, func(r T) []string {
		p, id := t.key(r)
		switch {
		case q.Order == crs.ScanByArrival && t.arrived != nil:
			return []string{formatTime(t.arrived(r)), id}
		case q.Order != crs.ScanByPatient:
			return []string{formatTime(t.at(r)), id}
		}
		return []string{p, id}
	})
	var patients []string
	for _, r := range page {
		if p, _ := t.key(r); len(patients) == 0 || patients[len(patients)-1] != p {
			patients = append(patients, p)
		}
	}
	order := "patient"
	if q.Order != crs.ScanByPatient {
		order = string(q.Order)
	}
	db.Audit(a, "", crs.AuditSearch, "list "+t.what+" in "+order+" order: "+itoa(len(page))+" results")
	db.recordListed(a, patients, t.what+" list")
	return page, next, nil
}

// sql is the query of the batch of q (its limit set) of the trust's
// records, one more than the limit, with its arguments.
func (t acrossPatients[T]) sql(orgID string, q crs.RecordScan) (string, []any, error) {
	args := []any{orgID}
	arg := paramAdder(&args)
	order := keyset{keys: []string{t.patient, t.id}}
	where := ""
	if q.Order != crs.ScanByPatient {
		col := t.start
		if q.Order == crs.ScanByArrival && t.arrival != "" {
			col = t.arrival
		}
		if col == "" || q.Order != crs.ScanByStart && q.Order != crs.ScanByArrival {
			return "", nil, crs.Errorf(crs.EINVALID, "%s are not listed in %q order", t.what, q.Order)
		}
		order = keyset{keys: []string{col, t.id}, desc: q.Desc}
		if start, _, ok := strings.Cut(q.After, "|"); ok {
			// The start's bound as well as the pair's, so that each
			// engine starts its range of the index at the cursor.
			after, err := order.after(q.After, arg)
			if err != nil {
				return "", nil, err
			}
			bound := " >= "
			if q.Desc {
				bound = " <= "
			}
			where = " AND " + col + bound + arg(start) + after
		} else if q.After != "" {
			return "", nil, crs.FieldErrorf("cursor", "the page cursor is not valid")
		}
	} else if pid, _, ok := strings.Cut(q.After, "|"); ok {
		// The patient's bound as well as the pair's, so that each engine
		// starts its range of the index at the cursor.
		after, err := order.after(q.After, arg)
		if err != nil {
			return "", nil, err
		}
		where = " AND " + t.patient + " >= " + arg(pid) + after
	} else if q.After != "" {
		where = " AND " + t.patient + " > " + arg(q.After)
	}
	where += t.narrowed(q, arg)
	return `SELECT ` + t.cols + ` FROM ` + t.from + where + order.orderBy() + " LIMIT " + arg(q.Limit+1), args, nil
}

// narrowed is the conditions of q's statuses and range of starts.
func (t acrossPatients[T]) narrowed(q crs.RecordScan, arg func(any) string) string {
	where := ""
	if len(q.Status) > 0 {
		ps := make([]string, len(q.Status))
		for i, s := range q.Status {
			ps[i] = arg(s)
		}
		where += " AND " + t.status + " IN (" + strings.Join(ps, ", ") + ")"
	}
	if t.start != "" && !q.From.IsZero() {
		where += " AND " + t.start + " >= " + arg(formatTime(q.From))
	}
	if t.start != "" && !q.Before.IsZero() {
		where += " AND " + t.start + " < " + arg(formatTime(q.Before))
	}
	return where
}

// count counts the trust's records of q's statuses and range of starts
// (its cursor, order and limit aside), as list would list them all,
// under the same rules; a count names no patient, and is audited as a
// search.
func (t acrossPatients[T]) count(ctx context.Context, db *DB, a crs.Actor, q crs.RecordScan) (int, error) {
	for _, act := range []crs.Activity{crs.ActSearchPatients, crs.ActViewDemographics} {
		if err := a.Authorize(act); err != nil {
			db.refused(a, act)
			return 0, err
		}
	}
	args := []any{a.OrgID}
	where := t.narrowed(q, paramAdder(&args))
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.from+where, args...).Scan(&n); err != nil {
		return 0, err
	}
	db.Audit(a, "", crs.AuditSearch, "count "+t.what+": "+itoa(n))
	return n, nil
}

var spellsAcross = acrossPatients[*crs.Spell]{what: "spells", cols: spellColumns, from: `spells WHERE org_id = $1`,
	patient: "patient_id", id: "id", status: "status", start: "admitted_at", scan: scanSpell,
	key: func(sp *crs.Spell) (string, string) { return sp.PatientID, sp.ID },
	at:  func(sp *crs.Spell) time.Time { return sp.AdmittedAt }}

// ListSpells lists the trust's spells across its patients, a batch at a
// time (see crs.RecordScan).
func (s *InpatientService) ListSpells(ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Spell, string, error) {
	return spellsAcross.list(ctx, s.db, a, q)
}

// CountSpells counts what ListSpells would list of q, all its batches.
func (s *InpatientService) CountSpells(ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
	return spellsAcross.count(ctx, s.db, a, q)
}

var attendancesAcross = acrossPatients[*crs.EDAttendance]{what: "A&E attendances", cols: edColumns, from: `ed_attendances WHERE org_id = $1`,
	patient: "patient_id", id: "id", status: "status", start: "arrived_at", scan: scanED,
	key: func(e *crs.EDAttendance) (string, string) { return e.PatientID, e.ID },
	at:  func(e *crs.EDAttendance) time.Time { return e.ArrivedAt }}

// ListAttendances lists the trust's A&E attendances across its patients,
// a batch at a time (see crs.RecordScan).
func (s *EDService) ListAttendances(ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.EDAttendance, string, error) {
	return attendancesAcross.list(ctx, s.db, a, q)
}

// CountAttendances counts what ListAttendances would list of q, all its batches.
func (s *EDService) CountAttendances(ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
	return attendancesAcross.count(ctx, s.db, a, q)
}

var appointmentsAcross = acrossPatients[*crs.Appointment]{what: "appointments", cols: appointmentColumns, from: `appointments WHERE org_id = $1`,
	patient: "patient_id", id: "id", status: "status", start: "start_at", arrival: appointmentArrival, scan: scanAppointment,
	key: func(ap *crs.Appointment) (string, string) { return ap.PatientID, ap.ID },
	at:  func(ap *crs.Appointment) time.Time { return ap.Start },
	arrived: func(ap *crs.Appointment) time.Time {
		if !ap.CheckedInAt.IsZero() {
			return ap.CheckedInAt
		}
		return ap.AttendedAt
	}}

// appointmentArrival is when the patient arrived for an appointment: its
// check-in, or when seen if not checked in, "" for neither; the
// expression migration 0126 indexes.
const appointmentArrival = "(CASE WHEN checked_in_at <> '' THEN checked_in_at ELSE attended_at END)"

// ListAppointments lists the trust's appointments across its patients, a
// batch at a time (see crs.RecordScan).
func (s *OutpatientService) ListAppointments(ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Appointment, string, error) {
	return appointmentsAcross.list(ctx, s.db, a, q)
}

// CountAppointments counts what ListAppointments would list of q, all its batches.
func (s *OutpatientService) CountAppointments(ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
	return appointmentsAcross.count(ctx, s.db, a, q)
}

// referralsAcross reads each referral with its pathway's PPI, as
// FindReferrals does.
var referralsAcross = acrossPatients[*crs.Referral]{what: "referrals",
	cols: prefixed("r.", referralColumns) + `, COALESCE(p.ppi, '')`, from: `referrals r
		LEFT JOIN pathways p ON p.id = r.pathway_id AND p.org_id = r.org_id WHERE r.org_id = $1`,
	patient: "r.patient_id", id: "r.id", status: "r.status", scan: scanReferralPPI,
	key: func(r *crs.Referral) (string, string) { return r.PatientID, r.ID }}

// ListReferrals lists the trust's referrals across its patients, a batch
// at a time (see crs.RecordScan).
func (s *ReferralService) ListReferrals(ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Referral, string, error) {
	return referralsAcross.list(ctx, s.db, a, q)
}

// CountReferrals counts what ListReferrals would list of q, all its batches.
func (s *ReferralService) CountReferrals(ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
	return referralsAcross.count(ctx, s.db, a, q)
}

// pathwaysAcross reads the pathways that are their referral's current
// one (referrals.pathway_id), as a patient's referrals name them.
var pathwaysAcross = acrossPatients[*crs.Pathway]{what: "RTT pathways",
	cols: prefixed("p.", pathwayColumns), from: `pathways p
		JOIN referrals r ON r.id = p.referral_id AND r.org_id = p.org_id AND r.pathway_id = p.id WHERE p.org_id = $1`,
	patient: "p.patient_id", id: "p.id", status: "p.clock_state", scan: scanPathway,
	key: func(p *crs.Pathway) (string, string) { return p.PatientID, p.ID }}

// ListPathways lists the pathways of the trust's referrals across its
// patients, a batch at a time (see crs.RecordScan).
func (s *ReferralService) ListPathways(ctx context.Context, a crs.Actor, q crs.RecordScan) ([]*crs.Pathway, string, error) {
	return pathwaysAcross.list(ctx, s.db, a, q)
}

// CountPathways counts what ListPathways would list of q, all its batches.
func (s *ReferralService) CountPathways(ctx context.Context, a crs.Actor, q crs.RecordScan) (int, error) {
	return pathwaysAcross.count(ctx, s.db, a, q)
}
