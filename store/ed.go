package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// EDService runs the emergency department over SQL.
type EDService struct{ db *DB }

// NewEDService returns the A&E service over db.
func NewEDService(db *DB) *EDService { return &EDService{db: db} }

var _ crs.EDService = (*EDService)(nil)

const edColumns = `id, org_id, patient_id, arrived_at, arrival_mode, complaint, triage_category, triaged_at, location, seen_at, seen_by,
	decision_to_admit_at, admit_specialty, departed_at, departure, discharge_destination, spell_id, status, created_at,
	attendance_category, chief_complaint, acuity, discharge_status`

func scanED(r scanner) (*crs.EDAttendance, error) {
	var e crs.EDAttendance
	var arrived, triaged, seen, dta, departed, created string
	if err := r.Scan(&e.ID, &e.OrgID, &e.PatientID, &arrived, &e.ArrivalMode, &e.Complaint, &e.TriageCategory, &triaged, &e.Location,
		&seen, &e.SeenBy, &dta, &e.AdmitSpecialty, &departed, &e.Departure, &e.DischargeDestination, &e.SpellID, &e.Status, &created,
		&e.AttendanceCategory, &e.ChiefComplaint, &e.Acuity, &e.DischargeStatus); err != nil {
		return nil, notFound(err, "no such A&E attendance")
	}
	e.ArrivedAt, e.TriagedAt, e.SeenAt, e.DecisionToAdmitAt = parseTime(arrived), parseTime(triaged), parseTime(seen), parseTime(dta)
	e.DepartedAt, e.CreatedAt = parseTime(departed), parseTime(created)
	return &e, nil
}

func inDepartment(tx *Tx, id string) (*crs.EDAttendance, error) {
	e, err := scanED(tx.QueryRow(`SELECT `+edColumns+` FROM ed_attendances WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
	if err != nil {
		return nil, err
	}
	if e.Status != crs.EDInDepartment {
		return nil, crs.Errorf(crs.ECONFLICT, "the patient has left the department")
	}
	return e, nil
}

// arriveED registers an arrival within a command.
func arriveED(tx *Tx, e *crs.EDAttendance) error {
	e.OrgID = tx.actor.OrgID
	if e.ArrivedAt.IsZero() {
		e.ArrivedAt = tx.now
	}
	e.ArrivedAt = e.ArrivedAt.UTC()
	if err := e.Validate(tx.now); err != nil {
		return err
	}
	if err := livePatient(tx, e.PatientID); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM ed_attendances WHERE org_id = $1 AND patient_id = $2 AND status = 'in_department'`, e.OrgID, e.PatientID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return crs.Errorf(crs.ECONFLICT, "the patient is already in the department")
	}
	// An inpatient on the ward cannot also be in A&E: the staff are told
	// why, and what to record first (on leave, they may come in).
	var admitted string
	switch err := tx.QueryRow(`SELECT admitted_at FROM spells WHERE org_id = $1 AND patient_id = $2 AND status = $3`, e.OrgID, e.PatientID, crs.SpellAdmitted).Scan(&admitted); {
	case err == nil:
		return crs.Errorf(crs.ECONFLICT, "the patient is an inpatient now, admitted %s; a patient on a ward is not registered in A&E. "+
			"If they have left the ward, record their leave or discharge on the spell first", parseTime(admitted).In(crs.London).Format("02-Jan-2006 15:04"))
	case err != sql.ErrNoRows:
		return err
	}
	e.ID, e.Status, e.CreatedAt = crs.NewID(), crs.EDInDepartment, tx.now
	if _, err := tx.Exec(`INSERT INTO ed_attendances (id, org_id, patient_id, arrived_at, arrival_mode, complaint, location, status, created_at,
		attendance_category, chief_complaint) VALUES ($1, $2, $3, $4, $5, $6, $7, 'in_department', $8, $9, $10)`, e.ID, e.OrgID, e.PatientID,
		formatTime(e.ArrivedAt), e.ArrivalMode, e.Complaint, e.Location, formatTime(tx.now), e.AttendanceCategory, e.ChiefComplaint); err != nil {
		return err
	}
	mode, _ := nhs.Lookup(nhs.ArrivalModes, e.ArrivalMode)
	return tx.EmitData(&crs.Event{Type: crs.EventEDArrived, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: e.ArrivedAt,
		Summary: "Arrived in A&E: " + strings.ToLower(mode)}, "A&E attendance", e)
}

// Arrive registers a patient's arrival.
func (s *EDService) Arrive(ctx context.Context, a crs.Actor, e *crs.EDAttendance) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return arriveED(tx, e) })
}

// update applies one change to an attendance still in the department.
// Clinical steps (triage, seen, decision to admit) need ActRecordClinical:
// a receptionist books the patient in and out, a clinician assesses.
func (s *EDService) update(ctx context.Context, a crs.Actor, act crs.Activity, id, typ string, fn func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error)) error {
	return s.change(ctx, a, act, id, typ, true, fn)
}

// change applies one change to an attendance, in the department only when
// inDept is true.
func (s *EDService) change(ctx context.Context, a crs.Actor, act crs.Activity, id, typ string, inDept bool, fn func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error)) error {
	return s.db.writeTx(ctx, a, act, func(tx *Tx) error {
		var e *crs.EDAttendance
		var err error
		if inDept {
			e, err = inDepartment(tx, id)
		} else {
			e, err = scanED(tx.QueryRow(`SELECT `+edColumns+` FROM ed_attendances WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
		}
		if err != nil {
			return err
		}
		if act == crs.ActRecordClinical {
			// Triage, seen and the decision to admit are the clinician's
			// assessment: the one rule of a clinical write holds.
			if err := tx.clearClinicalWrite(e.PatientID); err != nil {
				return err
			}
		}
		at, summary, err := fn(tx, e)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE ed_attendances SET triage_category = $1, triaged_at = $2, location = $3, seen_at = $4, seen_by = $5,
			decision_to_admit_at = $6, admit_specialty = $7, departed_at = $8, departure = $9, discharge_destination = $10, status = $11,
			attendance_category = $12, chief_complaint = $13, acuity = $14, discharge_status = $15
			WHERE id = $16 AND org_id = $17`, e.TriageCategory, formatTime(e.TriagedAt), e.Location, formatTime(e.SeenAt), e.SeenBy,
			formatTime(e.DecisionToAdmitAt), e.AdmitSpecialty, formatTime(e.DepartedAt), e.Departure, e.DischargeDestination, e.Status,
			e.AttendanceCategory, e.ChiefComplaint, e.Acuity, e.DischargeStatus, e.ID, tx.actor.OrgID); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: typ, PatientID: e.PatientID, SubjectID: e.ID, EffectiveAt: at, Summary: summary}, "A&E attendance", e)
	})
}

// RecordECDS records or corrects the ECDS items of an attendance, in the
// department or after it.
func (s *EDService) RecordECDS(ctx context.Context, a crs.Actor, id string, d crs.ECDSDetails) error {
	if err := d.Validate(); err != nil {
		return err
	}
	return s.change(ctx, a, crs.ActManagePathways, id, crs.EventEDCoded, false, func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error) {
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&e.AttendanceCategory, d.AttendanceCategory)
		set(&e.ChiefComplaint, d.ChiefComplaint)
		set(&e.DischargeStatus, d.DischargeStatus)
		set(&e.DischargeDestination, d.DischargeDestination)
		return tx.now, "ECDS details recorded", nil
	})
}

func afterArrival(tx *Tx, e *crs.EDAttendance, at time.Time, field string) (time.Time, error) {
	at, err := whenOrNow(tx, at, field)
	if err != nil {
		return at, err
	}
	if at.Before(e.ArrivedAt) {
		return at, crs.FieldErrorf(field, "this cannot be before the patient arrived")
	}
	return at, nil
}

// Triage records the triage category.
func (s *EDService) Triage(ctx context.Context, a crs.Actor, id string, category int, at time.Time) error {
	return s.update(ctx, a, crs.ActRecordClinical, id, crs.EventEDTriaged, func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error) {
		if category < 1 || category > 5 {
			return at, "", crs.FieldErrorf("category", "triage category is 1 (immediate) to 5 (non-urgent)")
		}
		at, err := afterArrival(tx, e, at, "triaged_at")
		e.TriageCategory, e.TriagedAt, e.Acuity = category, at, nhs.EDAcuityForTriage(category)
		return at, fmt.Sprintf("Triaged: category %d", category), err
	})
}

// Move records where in the department the patient is.
func (s *EDService) Move(ctx context.Context, a crs.Actor, id, location string) error {
	return s.update(ctx, a, crs.ActManagePathways, id, crs.EventEDMoved, func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error) {
		location = strings.TrimSpace(location)
		if location == "" {
			return tx.now, "", crs.FieldErrorf("location", "say where in the department")
		}
		e.Location = location
		return tx.now, "Moved to " + location, nil
	})
}

// RecordSeen records the clinician who saw the patient.
func (s *EDService) RecordSeen(ctx context.Context, a crs.Actor, id, clinician string, at time.Time) error {
	return s.update(ctx, a, crs.ActRecordClinical, id, crs.EventEDSeen, func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error) {
		if strings.TrimSpace(clinician) == "" {
			return at, "", crs.FieldErrorf("clinician", "say who saw the patient")
		}
		at, err := afterArrival(tx, e, at, "seen_at")
		e.SeenAt, e.SeenBy = at, clinician
		return at, "Seen by " + clinician, err
	})
}

// DecideToAdmit records a decision to admit.
func (s *EDService) DecideToAdmit(ctx context.Context, a crs.Actor, id, specialty string, at time.Time) error {
	return s.update(ctx, a, crs.ActRecordClinical, id, crs.EventEDDecisionToAdmit, func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error) {
		if specialty != "" {
			if _, ok := nhs.Lookup(nhs.TreatmentFunctions, specialty); !ok {
				return at, "", crs.FieldErrorf("specialty", "specialty %q is not a TREATMENT FUNCTION CODE", specialty)
			}
		}
		if !e.DecisionToAdmitAt.IsZero() {
			return at, "", crs.Errorf(crs.ECONFLICT, "a decision to admit is already recorded")
		}
		at, err := afterArrival(tx, e, at, "decision_to_admit_at")
		e.DecisionToAdmitAt, e.AdmitSpecialty = at, specialty
		return at, "Decision to admit (" + specialty + ")", err
	})
}

// Depart records that the patient left the department, not admitted.
func (s *EDService) Depart(ctx context.Context, a crs.Actor, id string, d crs.EDDeparture) error {
	return s.update(ctx, a, crs.ActManagePathways, id, crs.EventEDDeparted, func(tx *Tx, e *crs.EDAttendance) (time.Time, string, error) {
		switch d.Kind {
		case crs.EDDischarged, crs.EDTransferred, crs.EDLeft:
		case crs.EDAdmitted:
			return d.At, "", crs.FieldErrorf("kind", "admit the patient from A&E with the admission itself")
		default:
			return d.At, "", crs.FieldErrorf("kind", "departure %q is not discharged, transferred or left", d.Kind)
		}
		if _, ok := nhs.Lookup(nhs.EDDischargeStatuses, d.Status); !ok {
			return d.At, "", crs.FieldErrorf("discharge_status", "discharge status %q is not an EMERGENCY CARE DISCHARGE STATUS code", d.Status)
		}
		if d.Destination != "" || d.Kind != crs.EDLeft {
			if _, ok := nhs.Lookup(nhs.EDDischargeDestinations, d.Destination); !ok {
				return d.At, "", crs.FieldErrorf("destination", "discharge destination %q is not an EMERGENCY CARE DISCHARGE DESTINATION code", d.Destination)
			}
		}
		at, err := afterArrival(tx, e, d.At, "departed_at")
		e.DepartedAt, e.Departure, e.DischargeDestination, e.DischargeStatus, e.Status = at, d.Kind, d.Destination, d.Status, crs.EDDeparted
		return at, "Left A&E: " + d.Kind + fmt.Sprintf(" after %s", at.Sub(e.ArrivedAt).Round(time.Minute)), err
	})
}

// FindAttendance returns an attendance.
func (s *EDService) FindAttendance(ctx context.Context, a crs.Actor, id string) (*crs.EDAttendance, error) {
	var e *crs.EDAttendance
	err := s.db.view(ctx, a, crs.ActManagePathways, "A&E attendance", func(q Querier) (string, error) {
		var err error
		if e, err = scanED(q.QueryRowContext(ctx, `SELECT `+edColumns+` FROM ed_attendances WHERE id = $1 AND org_id = $2`, id, a.OrgID)); err != nil {
			return "", err
		}
		return e.PatientID, nil
	})
	return e, err
}

// TrackingBoard lists every patient in the department as of the clock's
// now, longest waiting first.
func (s *EDService) TrackingBoard(ctx context.Context, a crs.Actor) ([]*crs.TrackingRow, error) {
	now := s.db.Clock.Now().UTC()
	var out []*crs.TrackingRow
	err := s.db.view(ctx, a, crs.ActManagePathways, "A&E tracking board", func(q Querier) (string, error) {
		var err error
		out, err = queryRows(ctx, q, func(row scanner) (*crs.TrackingRow, error) {
			var r crs.TrackingRow
			var fam, given, born string
			e, err := scanED(scanFunc(func(dest ...any) error { return row.Scan(append(dest, &r.MRN, &fam, &given, &born)...) }))
			if err != nil {
				return nil, err
			}
			r.Attendance, r.Name, r.BirthDate = e, patientName(fam, given), parseDate(born)
			r.Waited = now.Sub(e.ArrivedAt)
			if !e.DecisionToAdmitAt.IsZero() {
				r.SinceDTA = now.Sub(e.DecisionToAdmitAt)
			}
			r.Warn, r.Breach4, r.Breach12 = r.Waited >= crs.EDWarnAfter, r.Waited >= crs.EDBreachAfter, r.SinceDTA >= crs.DTABreachAfter
			return &r, nil
		}, `SELECT `+prefixed("e.", edColumns)+`, p.mrn, p.family_name, p.given_name, p.birth_date
			FROM ed_attendances e JOIN patients p ON p.id = e.patient_id
			WHERE e.org_id = $1 AND e.status = 'in_department' ORDER BY e.arrived_at, e.id`, a.OrgID)
		return "", err
	})
	if err == nil {
		ids := make([]string, len(out))
		for i, r := range out {
			ids[i] = r.Attendance.PatientID
		}
		s.db.recordListed(a, ids, "A&E tracking board")
	}
	return out, err
}
