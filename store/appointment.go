package store

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

const appointmentColumns = `id, org_id, patient_id, referral_id, pathway_id, slot_id, clinic_id, start_at, kind, status, booked_at,
	cancelled_by, cancel_reason, cancelled_at, checked_in_at, attended_at, outcomed_at, rtt_status, next_step, follow_up_weeks, outcome_note,
	COALESCE((SELECT end_at FROM slots WHERE slots.id = appointments.slot_id), '')`

func scanAppointment(r scanner) (*crs.Appointment, error) {
	var x crs.Appointment
	var start, booked, cancelled, checkedIn, attended, outcomed, step, note, end string
	var st, weeks int
	if err := r.Scan(&x.ID, &x.OrgID, &x.PatientID, &x.ReferralID, &x.PathwayID, &x.SlotID, &x.ClinicID, &start, &x.Kind, &x.Status,
		&booked, &x.CancelledBy, &x.Reason, &cancelled, &checkedIn, &attended, &outcomed, &st, &step, &weeks, &note, &end); err != nil {
		return nil, notFound(err, "no such appointment")
	}
	x.Start, x.End, x.BookedAt, x.CancelledAt = parseTime(start), parseTime(end), parseTime(booked), parseTime(cancelled)
	x.CheckedInAt, x.AttendedAt, x.OutcomedAt = parseTime(checkedIn), parseTime(attended), parseTime(outcomed)
	if outcomed != "" {
		x.Outcome = &crs.Outcome{RTTStatus: rtt.Status(st), NextStep: step, FollowUpWeeks: weeks, Note: note}
	}
	return &x, nil
}

func getAppointment(tx *Tx, id string) (*crs.Appointment, error) {
	return scanAppointment(tx.QueryRow(`SELECT `+appointmentColumns+` FROM appointments WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
}

// appointmentEventData is the Data of appointment events: enough for an
// HL7 SIU message (the appointment, its slot and clinic).
type appointmentEventData struct {
	Appointment *crs.Appointment `json:"appointment"`
	ClinicCode  string           `json:"clinic_code"`
	Consultant  string           `json:"consultant_code"`
	Location    string           `json:"location_code"`
	PPI         string           `json:"ppi,omitempty"`
	Replaces    string           `json:"replaces,omitempty"`
}

func (s *appointmentEventData) fill(tx *Tx) {
	var locID string
	tx.QueryRow(`SELECT code, consultant_code, location_id FROM clinics WHERE id = $1 AND org_id = $2`, s.Appointment.ClinicID, tx.actor.OrgID).Scan(&s.ClinicCode, &s.Consultant, &locID)
	s.Location = locationCode(tx, locID)
	if s.Appointment.PathwayID != "" {
		tx.QueryRow(`SELECT ppi FROM pathways WHERE id = $1 AND org_id = $2`, s.Appointment.PathwayID, tx.actor.OrgID).Scan(&s.PPI)
	}
}

func apptTime(t time.Time) string { return t.In(crs.London).Format("02-Jan-2006 15:04") }

// bookSlot books a referral into a slot within a command. The slot must
// be the trust's, free, of the right type and in a clinic of the
// referral's treatment function; the unique index on live appointments
// per slot makes a double booking impossible even between concurrent
// commands.
func bookSlot(tx *Tx, b crs.Booking) (*crs.Appointment, error) {
	r, err := getReferral(tx, b.ReferralID)
	if err != nil {
		return nil, err
	}
	if r.Status != crs.ReferralOpen {
		return nil, crs.Errorf(crs.ECONFLICT, "the referral is closed; record a new referral to book")
	}
	if err := livePatient(tx, r.PatientID); err != nil {
		return nil, err
	}
	var held string
	err = tx.QueryRow(`SELECT start_at FROM appointments WHERE referral_id = $1 AND org_id = $2 AND status IN ('booked', 'checked_in') LIMIT 1`, r.ID, tx.actor.OrgID).Scan(&held)
	if err == nil {
		return nil, crs.Errorf(crs.ECONFLICT, "the referral is already booked for %s; reschedule that appointment instead", apptTime(parseTime(held)))
	}
	var clinicID, start, end, slotType, tf, clinicCode string
	if err := tx.QueryRow(`SELECT s.clinic_id, s.start_at, s.end_at, s.slot_type, c.treatment_function, c.code FROM slots s JOIN clinics c ON c.id = s.clinic_id
		WHERE s.id = $1 AND s.org_id = $2`, b.SlotID, tx.actor.OrgID).Scan(&clinicID, &start, &end, &slotType, &tf, &clinicCode); err != nil {
		return nil, &crs.Error{Code: crs.ENOTFOUND, Field: "slot", Message: "no such slot in this trust's clinics; an appointment must be booked into a clinic slot"}
	}
	if tf != r.TreatmentFunction {
		return nil, crs.FieldErrorf("slot", "clinic %s is for treatment function %s, the referral for %s", clinicCode, tf, r.TreatmentFunction)
	}
	if b.Kind == "" {
		var seen int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM appointments WHERE referral_id = $1 AND status = 'attended'`, r.ID).Scan(&seen); err != nil {
			return nil, err
		}
		b.Kind = crs.SlotNew
		if seen > 0 {
			b.Kind = crs.SlotFollowUp
		}
	}
	switch {
	case b.Kind == crs.SlotFollowUp && slotType != crs.SlotFollowUp:
		return nil, crs.FieldErrorf("slot", "a follow-up is booked into a follow-up slot, not a %s slot", slotType)
	case b.Kind == crs.SlotNew && slotType == crs.SlotFollowUp:
		return nil, crs.FieldErrorf("slot", "a first appointment is booked into a new or urgent slot, not a follow-up slot")
	case b.Kind != crs.SlotNew && b.Kind != crs.SlotFollowUp:
		return nil, crs.FieldErrorf("kind", "appointment kind %q is not new or follow_up", b.Kind)
	}
	var taken int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM appointments WHERE slot_id = $1 AND live = 1`, b.SlotID).Scan(&taken); err != nil {
		return nil, err
	}
	if taken > 0 {
		return nil, &crs.Error{Code: crs.ECONFLICT, Field: "slot", Message: fmt.Sprintf("the slot at %s in clinic %s is already booked; choose a free slot", apptTime(parseTime(start)), clinicCode)}
	}
	ap := &crs.Appointment{ID: cmp.Or(b.ID, crs.NewID()), OrgID: tx.actor.OrgID, PatientID: r.PatientID, ReferralID: r.ID, PathwayID: r.PathwayID,
		SlotID: b.SlotID, ClinicID: clinicID, Start: parseTime(start), End: parseTime(end), Kind: b.Kind, Status: crs.AppointmentBooked, BookedAt: tx.now}
	if _, err := tx.Exec(`INSERT INTO appointments (id, org_id, patient_id, referral_id, pathway_id, slot_id, clinic_id, start_at, kind, status, live, booked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'booked', 1, $10)`,
		ap.ID, ap.OrgID, ap.PatientID, ap.ReferralID, ap.PathwayID, ap.SlotID, ap.ClinicID, start, ap.Kind, formatTime(tx.now)); err != nil {
		if isUniqueViolation(err) {
			return nil, &crs.Error{Code: crs.ECONFLICT, Field: "slot", Message: "the slot was booked by someone else a moment ago; choose another"}
		}
		return nil, err
	}
	if err := setWorklist(tx, r.ID, "", crs.Date{}); err != nil {
		return nil, err
	}
	if err := addRTTEvent(tx, r.PathwayID, rtt.Event{Date: localDate(tx.now).Time, Kind: rtt.KindAppointmentBooked, Ref: ap.ID}, false); err != nil {
		return nil, err
	}
	return ap, nil
}

// BookAppointment books a referral into a free slot.
func (s *OutpatientService) BookAppointment(ctx context.Context, a crs.Actor, b crs.Booking) (*crs.Appointment, error) {
	var ap *crs.Appointment
	err := s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		var err error
		ap, err = tx.BookAppointment(b)
		return err
	})
	return ap, err
}

// BookAppointment books a referral into a free slot within a command
// and appends its event.
func (tx *Tx) BookAppointment(b crs.Booking) (*crs.Appointment, error) {
	ap, err := bookSlot(tx, b)
	if err != nil {
		return nil, err
	}
	data := appointmentEventData{Appointment: ap}
	data.fill(tx)
	return ap, tx.EmitData(&crs.Event{Type: crs.EventAppointmentBooked, PatientID: ap.PatientID, SubjectID: ap.ID,
		Summary: fmt.Sprintf("%s appointment booked in clinic %s for %s", kindName(ap.Kind), data.ClinicCode, apptTime(ap.Start))}, "appointment", data)
}

func kindName(k string) string {
	if k == crs.SlotFollowUp {
		return "Follow-up"
	}
	return "New"
}

// cancelAppointment cancels within a command and puts the referral back
// on the worklist it came from. A cancellation never stops the clock.
func cancelAppointment(tx *Tx, id string, c crs.Cancellation) (*crs.Appointment, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ap, err := getAppointment(tx, id)
	if err != nil {
		return nil, err
	}
	if ap.Status != crs.AppointmentBooked && ap.Status != crs.AppointmentCheckedIn {
		return nil, crs.Errorf(crs.ECONFLICT, "the appointment is %s and cannot be cancelled", ap.Status)
	}
	if _, err := tx.Exec(`UPDATE appointments SET status = 'cancelled', live = 0, cancelled_by = $1, cancel_reason = $2, cancelled_at = $3
		WHERE id = $4 AND org_id = $5`, c.By, c.Reason, formatTime(tx.now), ap.ID, tx.actor.OrgID); err != nil {
		return nil, err
	}
	ap.Status, ap.CancelledBy, ap.Reason, ap.CancelledAt = crs.AppointmentCancelled, c.By, c.Reason, tx.now
	wl, due := crs.WorklistToBook, crs.Date{}
	if ap.Kind == crs.SlotFollowUp {
		wl, due = crs.WorklistFollowUpDue, localDate(ap.Start)
		var prev string
		tx.QueryRow(`SELECT follow_up_due FROM referrals WHERE id = $1`, ap.ReferralID).Scan(&prev)
		if prev != "" {
			due = parseDate(prev)
		}
	}
	var status string
	if err := tx.QueryRow(`SELECT status FROM referrals WHERE id = $1 AND org_id = $2`, ap.ReferralID, tx.actor.OrgID).Scan(&status); err != nil {
		return nil, err
	}
	if status == crs.ReferralOpen {
		if err := setWorklist(tx, ap.ReferralID, wl, due); err != nil {
			return nil, err
		}
	}
	kind := rtt.KindCancelledByHospital
	if c.By == crs.CancelledByPatient {
		kind = rtt.KindCancelledByPatient
	}
	if err := addRTTEvent(tx, ap.PathwayID, rtt.Event{Date: localDate(tx.now).Time, Kind: kind, Ref: ap.ID, Note: c.Reason}, false); err != nil {
		return nil, err
	}
	return ap, nil
}

// CancelAppointment cancels a booked appointment and frees its slot.
func (s *OutpatientService) CancelAppointment(ctx context.Context, a crs.Actor, id string, c crs.Cancellation) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return tx.CancelAppointment(id, c) })
}

// CancelAppointment cancels a booked appointment within a command and
// appends its event.
func (tx *Tx) CancelAppointment(id string, c crs.Cancellation) error {
	ap, err := cancelAppointment(tx, id, c)
	if err != nil {
		return err
	}
	data := appointmentEventData{Appointment: ap}
	data.fill(tx)
	return tx.EmitData(&crs.Event{Type: crs.EventAppointmentCancelled, PatientID: ap.PatientID, SubjectID: ap.ID,
		Summary: fmt.Sprintf("Appointment of %s cancelled by the %s: %s", apptTime(ap.Start), c.By, c.Reason)}, "appointment", data)
}

// RescheduleAppointment cancels and rebooks in one command.
func (s *OutpatientService) RescheduleAppointment(ctx context.Context, a crs.Actor, id string, c crs.Cancellation, slotID string) (*crs.Appointment, error) {
	var ap *crs.Appointment
	err := s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		var err error
		ap, err = tx.RescheduleAppointment(id, c, slotID)
		return err
	})
	return ap, err
}

// RescheduleAppointment cancels an appointment and books its referral
// into another slot within a command, and appends the event.
func (tx *Tx) RescheduleAppointment(id string, c crs.Cancellation, slotID string) (*crs.Appointment, error) {
	old, err := cancelAppointment(tx, id, c)
	if err != nil {
		return nil, err
	}
	ap, err := bookSlot(tx, crs.Booking{ReferralID: old.ReferralID, SlotID: slotID, Kind: old.Kind})
	if err != nil {
		return nil, err
	}
	data := appointmentEventData{Appointment: ap, Replaces: old.ID}
	data.fill(tx)
	return ap, tx.EmitData(&crs.Event{Type: crs.EventAppointmentRescheduled, PatientID: ap.PatientID, SubjectID: ap.ID,
		Summary: fmt.Sprintf("Appointment moved from %s to %s (%s cancelled: %s)", apptTime(old.Start), apptTime(ap.Start), c.By, c.Reason)}, "appointment", data)
}

// CheckIn records that the patient arrived at clinic.
func (s *OutpatientService) CheckIn(ctx context.Context, a crs.Actor, id string, at time.Time) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return tx.CheckInAppointment(id, at) })
}

// CheckInAppointment checks a patient in for a booked appointment within
// a command and appends its event.
func (tx *Tx) CheckInAppointment(id string, at time.Time) error {
	ap, err := getAppointment(tx, id)
	if err != nil {
		return err
	}
	if ap.Status != crs.AppointmentBooked {
		return crs.Errorf(crs.ECONFLICT, "the appointment is %s; only a booked appointment can be checked in", ap.Status)
	}
	if at, err = whenOrNow(tx, at, "checked_in_at"); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE appointments SET status = 'checked_in', checked_in_at = $1 WHERE id = $2 AND org_id = $3`, formatTime(at), id, tx.actor.OrgID); err != nil {
		return err
	}
	ap.Status, ap.CheckedInAt = crs.AppointmentCheckedIn, at
	data := appointmentEventData{Appointment: ap}
	data.fill(tx)
	return tx.EmitData(&crs.Event{Type: crs.EventAppointmentCheckedIn, PatientID: ap.PatientID, SubjectID: ap.ID, EffectiveAt: at,
		Summary: "Arrived at clinic " + data.ClinicCode}, "appointment", data)
}

// RecordAttendance records an attendance or a DNA.
func (s *OutpatientService) RecordAttendance(ctx context.Context, a crs.Actor, id string, attended bool, at time.Time) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return tx.RecordAttendance(id, attended, at) })
}

// RecordAttendance records an attendance or a DNA within a command and
// appends its event.
func (tx *Tx) RecordAttendance(id string, attended bool, at time.Time) error {
	ap, err := getAppointment(tx, id)
	if err != nil {
		return err
	}
	if ap.Status != crs.AppointmentBooked && ap.Status != crs.AppointmentCheckedIn {
		return crs.Errorf(crs.ECONFLICT, "the appointment is %s; attendance is recorded once", ap.Status)
	}
	if at, err = whenOrNow(tx, at, "attended_at"); err != nil {
		return err
	}
	if localDate(at).Before(localDate(ap.Start).Time) {
		return crs.FieldErrorf("attended_at", "the appointment is on %s; record attendance on the day", apptTime(ap.Start))
	}
	status, typ, summary := crs.AppointmentAttended, crs.EventAppointmentAttended, "Attended clinic"
	if !attended {
		status, typ, summary = crs.AppointmentDNA, crs.EventAppointmentDNA, "Did not attend clinic"
	}
	if _, err := tx.Exec(`UPDATE appointments SET status = $1, attended_at = $2 WHERE id = $3 AND org_id = $4`, status, formatTime(at), id, tx.actor.OrgID); err != nil {
		return err
	}
	ap.Status, ap.AttendedAt = status, at
	if err := setWorklist(tx, ap.ReferralID, crs.WorklistToOutcome, crs.Date{}); err != nil {
		return err
	}
	if attended {
		if err := refreshPathwayIf(tx, ap.PathwayID); err != nil {
			return err
		}
	} else if err := addRTTEvent(tx, ap.PathwayID, rtt.Event{Date: localDate(ap.Start).Time, Kind: rtt.KindDidNotAttend, Ref: ap.ID}, false); err != nil {
		return err
	}
	data := appointmentEventData{Appointment: ap}
	data.fill(tx)
	return tx.EmitData(&crs.Event{Type: typ, PatientID: ap.PatientID, SubjectID: ap.ID, EffectiveAt: at,
		Summary: fmt.Sprintf("%s %s (%s)", summary, data.ClinicCode, apptTime(ap.Start))}, "appointment", data)
}

func refreshPathwayIf(tx *Tx, pathwayID string) error {
	if pathwayID == "" {
		return nil
	}
	return refreshPathway(tx, pathwayID, nil)
}

// RecordOutcome records the clinic outcome of an attendance or the
// review decision after a DNA.
func (s *OutpatientService) RecordOutcome(ctx context.Context, a crs.Actor, id string, o *crs.Outcome) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		if err := o.Validate(); err != nil {
			return err
		}
		ap, err := getAppointment(tx, id)
		if err != nil {
			return err
		}
		if ap.Outcome != nil {
			return crs.Errorf(crs.ECONFLICT, "the outcome of this appointment is already recorded")
		}
		r, err := getReferral(tx, ap.ReferralID)
		if err != nil {
			return err
		}
		day := localDate(ap.Start)
		today := localDate(tx.now)
		switch ap.Status {
		case crs.AppointmentAttended:
			if err := attendedOutcome(tx, ap, r, o, day); err != nil {
				return err
			}
		case crs.AppointmentDNA:
			if err := dnaOutcome(tx, ap, r, o, today); err != nil {
				return err
			}
		default:
			return crs.Errorf(crs.ECONFLICT, "the appointment is %s; record attendance before the outcome", ap.Status)
		}
		if _, err := tx.Exec(`UPDATE appointments SET outcomed_at = $1, rtt_status = $2, next_step = $3, follow_up_weeks = $4, outcome_note = $5
			WHERE id = $6 AND org_id = $7`, formatTime(tx.now), int(o.RTTStatus), o.NextStep, o.FollowUpWeeks, o.Note, ap.ID, tx.actor.OrgID); err != nil {
			return err
		}
		if err := refreshPathwayIf(tx, ap.PathwayID); err != nil {
			return err
		}
		ap.OutcomedAt = tx.now
		ap.Outcome = o
		data := appointmentEventData{Appointment: ap}
		data.fill(tx)
		summary := fmt.Sprintf("Outcome: %s", o.NextStep)
		if o.RTTStatus != 0 {
			summary += fmt.Sprintf(", RTT status %s", o.RTTStatus)
		}
		return tx.EmitData(&crs.Event{Type: crs.EventAppointmentOutcome, PatientID: ap.PatientID, SubjectID: ap.ID, EffectiveAt: ap.AttendedAt,
			Summary: summary}, "clinic outcome", data)
	})
}

func attendedOutcome(tx *Tx, ap *crs.Appointment, r *crs.Referral, o *crs.Outcome, day crs.Date) error {
	st := o.RTTStatus
	if !st.Valid() {
		return crs.FieldErrorf("rtt_status", "record the RTT status of the attendance (10-12, 20-21, 30-36, 90-92, 98, 99)")
	}
	cat := st.Category()
	switch o.NextStep {
	case crs.NextRebook:
		return crs.FieldErrorf("next_step", "rebook is the outcome of a DNA; the patient attended: choose follow_up")
	case crs.NextDischarge:
		if ap.PathwayID != "" && (cat == rtt.CategoryClockStart || cat == rtt.CategoryClockRunning) {
			return crs.FieldErrorf("rtt_status", "discharging the patient ends the RTT period: record 30 (treated), 34 (no treatment needed), 35 (declined) or another clock stop, not %s", st)
		}
	case crs.NextWaitingList:
		if cat == rtt.CategoryClockStop {
			return crs.FieldErrorf("rtt_status", "adding to the waiting list means treatment is to come: the clock keeps running (20), not %s", st)
		}
	}
	if ap.PathwayID == "" && cat != rtt.CategoryNotRTT {
		return crs.FieldErrorf("rtt_status", "the referral is not consultant-led and has no RTT pathway: record 98 (not applicable)")
	}
	if err := addRTTEvent(tx, ap.PathwayID, rtt.Event{Date: day.Time, Kind: rtt.KindAttended, Status: st, Ref: ap.ID, Note: o.Note}, true); err != nil {
		return err
	}
	switch o.NextStep {
	case crs.NextDischarge:
		return closeReferral(tx, r.ID, day, "discharged at clinic")
	case crs.NextReferOn:
		return closeReferral(tx, r.ID, day, "referred on")
	case crs.NextFollowUp:
		return setWorklist(tx, r.ID, crs.WorklistFollowUpDue, crs.Date{Time: day.AddDate(0, 0, 7*o.FollowUpWeeks)})
	case crs.NextWaitingList:
		e := o.Listing
		e.ReferralID = r.ID
		if e.DecidedOn.IsZero() {
			e.DecidedOn = day
		}
		return insertWaitingListEntry(tx, e, r)
	}
	return nil
}

func dnaOutcome(tx *Tx, ap *crs.Appointment, r *crs.Referral, o *crs.Outcome, today crs.Date) error {
	var state string
	if ap.PathwayID != "" {
		if err := tx.QueryRow(`SELECT clock_state FROM pathways WHERE id = $1 AND org_id = $2`, ap.PathwayID, tx.actor.OrgID).Scan(&state); err != nil {
			return err
		}
	}
	switch o.NextStep {
	case crs.NextRebook:
		o.RTTStatus = 0
		if state == crs.ClockNullified {
			o.RTTStatus = rtt.StatusFirstActivity
			if err := addRTTEvent(tx, ap.PathwayID, rtt.Event{Date: today.Time, Kind: rtt.KindFirstAppointmentReoffered, Status: rtt.StatusFirstActivity, Ref: ap.ID, Note: o.Note}, false); err != nil {
				return err
			}
		}
		if ap.Kind == crs.SlotFollowUp {
			return setWorklist(tx, r.ID, crs.WorklistFollowUpDue, today)
		}
		return setWorklist(tx, r.ID, crs.WorklistToBook, crs.Date{})
	case crs.NextDischarge:
		o.RTTStatus = 0
		if state == crs.ClockRunning {
			o.RTTStatus = rtt.StatusDecisionNotToTreat
			if err := addRTTEvent(tx, ap.PathwayID, rtt.Event{Date: today.Time, Kind: rtt.KindDischargedToGP, Status: rtt.StatusDecisionNotToTreat, Ref: ap.ID, Note: o.Note}, false); err != nil {
				return err
			}
		}
		return closeReferral(tx, r.ID, today, "discharged to the GP after a DNA")
	}
	return crs.FieldErrorf("next_step", "after a DNA the outcome is rebook or discharge")
}

// FindAppointment returns an appointment.
func (s *OutpatientService) FindAppointment(ctx context.Context, a crs.Actor, id string) (*crs.Appointment, error) {
	var ap *crs.Appointment
	err := s.db.view(ctx, a, crs.ActViewDemographics, "appointment", func(q Querier) (string, error) {
		var err error
		ap, err = scanAppointment(q.QueryRowContext(ctx, `SELECT `+appointmentColumns+` FROM appointments WHERE id = $1 AND org_id = $2`, id, a.OrgID))
		if err != nil {
			return "", err
		}
		return ap.PatientID, nil
	})
	return ap, err
}

// appointmentsOfReferralSQL reads a referral's appointments in time order
// (through appointments_referral_start, migration 0107).
var appointmentsOfReferralSQL = `SELECT ` + appointmentColumns + ` FROM appointments WHERE referral_id = $1 AND org_id = $2 ORDER BY start_at, id`

// FindAppointments lists a referral's appointments, earliest first.
func (s *OutpatientService) FindAppointments(ctx context.Context, a crs.Actor, referralID string) ([]*crs.Appointment, error) {
	var out []*crs.Appointment
	err := s.db.view(ctx, a, crs.ActViewDemographics, "appointments", func(q Querier) (string, error) {
		var err error
		if out, err = queryRows(ctx, q, scanAppointment, appointmentsOfReferralSQL, referralID, a.OrgID); err != nil || len(out) == 0 {
			return "", err
		}
		return out[len(out)-1].PatientID, nil
	})
	return out, err
}
