package store

import (
	"context"
	"time"

	"github.com/opencrs/crs"
)

// FindSpells lists a patient's hospital spells, latest admission first,
// without their episodes and stays (FindSpell gives those).
func (s *InpatientService) FindSpells(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Spell, error) {
	var out []*crs.Spell
	err := s.db.View(ctx, a, crs.ActViewDemographics, patientID, "spells", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanSpell, `SELECT `+spellColumns+` FROM spells WHERE patient_id = $1 AND org_id = $2 ORDER BY admitted_at DESC, id DESC`, patientID, a.OrgID)
		return err
	})
	return out, err
}

// SpellHistories gives spells read without them (FindSpells,
// ListSpells) their consultant episodes and bed stays, each in order, as
// FindSpell gives one spell's: what the Encounter of a stay says of the
// wards, beds and consultants the patient was under. The spells must be
// the actor's trust's, read by the actor; each batch of spells is one
// query of episodes and one of stays.
func (s *InpatientService) SpellHistories(ctx context.Context, a crs.Actor, spells []*crs.Spell) error {
	if a.OrgID == "" {
		return crs.Errorf(crs.EUNAUTHORIZED, "you must log in")
	}
	const batch = 500
	for len(spells) > 0 {
		n := min(batch, len(spells))
		byID := make(map[string]*crs.Spell, n)
		args := make([]any, 0, n+1)
		args = append(args, a.OrgID)
		for _, sp := range spells[:n] {
			if byID[sp.ID] == nil {
				byID[sp.ID] = sp
				sp.Episodes, sp.Stays = nil, nil
				args = append(args, sp.ID)
			}
		}
		spells = spells[n:]
		in := inList(2, len(args)-1)
		if err := eachRow(ctx, s.db.read, func(r scanner) error {
			e, spellID, err := scanEpisode(r)
			if sp := byID[spellID]; sp != nil && err == nil {
				sp.Episodes = append(sp.Episodes, e)
			}
			return err
		}, `SELECT `+episodeColumns+` FROM episodes WHERE org_id = $1 AND spell_id IN `+in+` ORDER BY spell_id, seq`, args...); err != nil {
			return err
		}
		if err := eachRow(ctx, s.db.read, func(r scanner) error {
			b, spellID, err := scanStay(r)
			if sp := byID[spellID]; sp != nil && err == nil {
				sp.Stays = append(sp.Stays, b)
			}
			return err
		}, `SELECT `+stayColumns+` FROM bed_stays WHERE org_id = $1 AND spell_id IN `+in+` AND cancelled = 0 ORDER BY spell_id, seq`, args...); err != nil {
			return err
		}
	}
	return nil
}

// FindAttendances lists a patient's A&E attendances, latest first.
func (s *EDService) FindAttendances(ctx context.Context, a crs.Actor, patientID string) ([]*crs.EDAttendance, error) {
	var out []*crs.EDAttendance
	err := s.db.View(ctx, a, crs.ActViewDemographics, patientID, "A&E attendances", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanED, `SELECT `+edColumns+` FROM ed_attendances WHERE patient_id = $1 AND org_id = $2 ORDER BY arrived_at DESC, id DESC`, patientID, a.OrgID)
		return err
	})
	return out, err
}

// FindWaitingListEntries lists a patient's waiting list entries, live and
// removed, latest decision first.
func (s *WaitingListService) FindWaitingListEntries(ctx context.Context, a crs.Actor, patientID string) ([]*crs.WaitingListEntry, error) {
	var out []*crs.WaitingListEntry
	err := s.db.View(ctx, a, crs.ActViewDemographics, patientID, "waiting list entries", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanEntry, `SELECT `+entryColumns+` FROM waiting_list_entries WHERE patient_id = $1 AND org_id = $2 ORDER BY decided_on DESC, id DESC`, patientID, a.OrgID)
		return err
	})
	return out, err
}

// FindClinicAppointments lists the appointments of one clinic on one day
// (London time), in time order: the clinic list a receptionist works from.
// The read of the list is audited as one access with no single patient.
func (s *OutpatientService) FindClinicAppointments(ctx context.Context, a crs.Actor, clinicID string, day crs.Date) ([]*crs.Appointment, error) {
	from := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, crs.London)
	to := from.AddDate(0, 0, 1)
	var out []*crs.Appointment
	err := s.db.View(ctx, a, crs.ActViewDemographics, "", "clinic list "+day.String(), func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanAppointment, `SELECT `+appointmentColumns+` FROM appointments WHERE clinic_id = $1 AND org_id = $2 AND start_at >= $3 AND start_at < $4 ORDER BY start_at, id`,
			clinicID, a.OrgID, formatTime(from), formatTime(to))
		return err
	})
	return out, err
}

// CountReferrals counts an organisation's referrals, open and closed; the
// demo uses it to tell whether a trust's journey has been seeded.
func CountReferrals(ctx context.Context, db *DB, orgID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM referrals WHERE org_id = $1`, orgID).Scan(&n)
	return n, err
}
