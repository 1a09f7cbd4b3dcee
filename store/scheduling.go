package store

import (
	"time"

	"github.com/opencrs/crs"
)

// FindClinicsByCode lists the trust's active clinics with the code, or
// held in the clinic room with the code.
func (tx *Tx) FindClinicsByCode(code string) ([]*crs.Clinic, error) {
	cs, err := queryRows(tx.ctx, tx, scanClinic, `SELECT `+clinicColumns+` FROM clinics WHERE org_id = $1 AND active = 1 AND (code = $2
		OR location_id IN (SELECT id FROM locations WHERE org_id = $1 AND code = $2 AND kind = $3)) ORDER BY code`, tx.actor.OrgID, code, string(crs.LocationClinicRoom))
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "find clinics: %w", err)
	}
	return cs, nil
}

// withIDs appends ids to args and returns them with the placeholders
// naming them, "($3, $4)", for an IN.
func withIDs(args []any, ids []string) ([]any, string) {
	first := len(args) + 1
	for _, id := range ids {
		args = append(args, id)
	}
	return args, inList(first, len(ids))
}

// FindSlotsAt lists the clinics' slots that start at start.
func (tx *Tx) FindSlotsAt(clinicIDs []string, start time.Time) ([]*crs.Slot, error) {
	if len(clinicIDs) == 0 {
		return nil, nil
	}
	args, in := withIDs([]any{tx.actor.OrgID, formatTime(start)}, clinicIDs)
	ss, err := queryRows(tx.ctx, tx, func(r scanner) (*crs.Slot, error) {
		var sl crs.Slot
		var st, end string
		var booked int
		err := r.Scan(&sl.ID, &sl.OrgID, &sl.ClinicID, &st, &end, &sl.Type, &sl.ClinicCode, &booked)
		sl.Start, sl.End, sl.Booked = parseTime(st), parseTime(end), booked > 0
		return &sl, err
	}, `SELECT s.id, s.org_id, s.clinic_id, s.start_at, s.end_at, s.slot_type, c.code,
		(SELECT COUNT(*) FROM appointments x WHERE x.slot_id = s.id AND x.live = 1)
		FROM slots s JOIN clinics c ON c.id = s.clinic_id
		WHERE s.org_id = $1 AND s.start_at = $2 AND s.clinic_id IN `+in+` ORDER BY c.code`, args...)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "find slots: %w", err)
	}
	return ss, nil
}

// FindSlotTimes lists the start times of the clinics' slots on a day.
func (tx *Tx) FindSlotTimes(clinicIDs []string, day crs.Date) ([]time.Time, error) {
	if len(clinicIDs) == 0 {
		return nil, nil
	}
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, crs.London)
	args, in := withIDs([]any{tx.actor.OrgID, formatTime(from), formatTime(from.AddDate(0, 0, 1))}, clinicIDs)
	ts, err := queryRows(tx.ctx, tx, scanString, `SELECT DISTINCT start_at FROM slots
		WHERE org_id = $1 AND start_at >= $2 AND start_at < $3 AND clinic_id IN `+in+` ORDER BY start_at`, args...)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "find slot times: %w", err)
	}
	out := make([]time.Time, len(ts))
	for i, t := range ts {
		out[i] = parseTime(t)
	}
	return out, nil
}

// FindOpenReferrals lists the patient's open referrals, oldest first.
func (tx *Tx) FindOpenReferrals(patientID string) ([]*crs.Referral, error) {
	rs, err := queryRows(tx.ctx, tx, scanReferral, `SELECT `+referralColumns+` FROM referrals
		WHERE org_id = $1 AND patient_id = $2 AND status = $3 ORDER BY received_on, id`, tx.actor.OrgID, patientID, crs.ReferralOpen)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "find referrals: %w", err)
	}
	return rs, nil
}

// PatientPathways lists the patient's RTT pathways in a command.
func (tx *Tx) PatientPathways(patientID string) ([]*crs.Pathway, error) {
	ps, err := queryRows(tx.ctx, tx, scanPathway, `SELECT `+pathwayColumns+` FROM pathways WHERE org_id = $1 AND patient_id = $2 ORDER BY id`,
		tx.actor.OrgID, patientID)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "find pathways: %w", err)
	}
	return ps, nil
}

// GetAppointment reads one of the trust's appointments in a command.
func (tx *Tx) GetAppointment(id string) (*crs.Appointment, error) { return getAppointment(tx, id) }

// LinkAppointment records a booking system's id of an appointment.
func (tx *Tx) LinkAppointment(facility, externalID, appointmentID string) error {
	if _, err := tx.Exec(`INSERT INTO appointment_links (org_id, facility, external_id, appointment_id, linked_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (org_id, facility, external_id) DO UPDATE SET appointment_id = excluded.appointment_id, linked_at = excluded.linked_at`,
		tx.actor.OrgID, facility, externalID, appointmentID, formatTime(tx.now)); err != nil {
		return crs.Errorf(crs.EINTERNAL, "link appointment: %w", err)
	}
	return nil
}

// FindLinkedAppointment returns the appointment a booking system's id
// names.
func (tx *Tx) FindLinkedAppointment(facility, externalID string) (*crs.Appointment, error) {
	var id string
	if err := tx.QueryRow(`SELECT appointment_id FROM appointment_links WHERE org_id = $1 AND facility = $2 AND external_id = $3`,
		tx.actor.OrgID, facility, externalID).Scan(&id); err != nil {
		return nil, notFound(err, "no appointment is known by %s's id %s", facility, externalID)
	}
	return getAppointment(tx, id)
}
