package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencrs/crs"
)

// OutpatientService runs outpatient clinics over SQL.
type OutpatientService struct{ db *DB }

// NewOutpatientService returns the outpatient service over db.
func NewOutpatientService(db *DB) *OutpatientService { return &OutpatientService{db: db} }

var _ crs.OutpatientService = (*OutpatientService)(nil)

const clinicColumns = `id, org_id, code, name, consultant_code, consultant_name, team, treatment_function, specialty, location_id, sessions, active, created_at`

func scanClinic(r scanner) (*crs.Clinic, error) {
	var c crs.Clinic
	var sessions, created string
	var active int
	if err := r.Scan(&c.ID, &c.OrgID, &c.Code, &c.Name, &c.ConsultantCode, &c.ConsultantName, &c.Team, &c.TreatmentFunction,
		&c.Specialty, &c.LocationID, &sessions, &active, &created); err != nil {
		return nil, notFound(err, "no such clinic")
	}
	_ = json.Unmarshal([]byte(sessions), &c.Sessions)
	c.Active, c.CreatedAt = active == 1, parseTime(created)
	return &c, nil
}

// insertClinic adds a clinic template within a command.
func insertClinic(tx *Tx, c *crs.Clinic) error {
	c.OrgID, c.Active = tx.actor.OrgID, true
	if err := c.Validate(); err != nil {
		return err
	}
	var kind string
	if err := tx.QueryRow(`SELECT kind FROM locations WHERE id = $1 AND org_id = $2`, c.LocationID, c.OrgID).Scan(&kind); err != nil {
		return crs.FieldErrorf("location", "no such clinic room in this trust")
	}
	if kind != string(crs.LocationClinicRoom) {
		return crs.FieldErrorf("location", "a clinic is held in a clinic room, not a %s", kind)
	}
	if c.ID == "" {
		c.ID = crs.NewID()
	}
	c.CreatedAt = tx.now
	sessions, _ := json.Marshal(c.Sessions)
	if _, err := tx.Exec(`INSERT INTO clinics (id, org_id, code, name, consultant_code, consultant_name, team, treatment_function, specialty,
		location_id, sessions, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12)`,
		c.ID, c.OrgID, c.Code, c.Name, c.ConsultantCode, c.ConsultantName, c.Team, c.TreatmentFunction, c.Specialty, c.LocationID,
		string(sessions), formatTime(tx.now)); err != nil {
		if isUniqueViolation(err) {
			return &crs.Error{Code: crs.ECONFLICT, Field: "code", Message: "a clinic with code " + c.Code + " already exists"}
		}
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventClinicCreated, SubjectID: c.ID, Summary: "Clinic " + c.Code + " added"}, "clinic", c)
}

// CreateClinic adds a clinic template.
func (s *OutpatientService) CreateClinic(ctx context.Context, a crs.Actor, c *crs.Clinic) error {
	return s.db.writeTx(ctx, a, crs.ActAdministerSettings, func(tx *Tx) error { return insertClinic(tx, c) })
}

// FindClinics lists the trust's clinics by code.
func (s *OutpatientService) FindClinics(ctx context.Context, a crs.Actor) ([]*crs.Clinic, error) {
	if err := a.Authorize(crs.ActSearchPatients); err != nil {
		return nil, err
	}
	return queryRows(ctx, s.db.read, scanClinic, `SELECT `+clinicColumns+` FROM clinics WHERE org_id = $1 ORDER BY code`, a.OrgID)
}

// maxSlotDays bounds how far one GenerateSlots call reaches.
const maxSlotDays = 400

// generateClinicSlots makes a clinic's slots for the dates from..to
// within a command. Slots are keyed by clinic and start time, so running
// it again adds only what is missing.
func generateClinicSlots(tx *Tx, clinicID string, from, to crs.Date) (int, error) {
	c, err := scanClinic(tx.QueryRow(`SELECT `+clinicColumns+` FROM clinics WHERE id = $1 AND org_id = $2`, clinicID, tx.actor.OrgID))
	if err != nil {
		return 0, err
	}
	if to.Before(from.Time) {
		return 0, crs.FieldErrorf("to", "the last date is before the first")
	}
	if to.Sub(from.Time) > maxSlotDays*24*time.Hour {
		return 0, crs.FieldErrorf("to", "generate at most %d days of slots at a time", maxSlotDays)
	}
	if !c.Active {
		return 0, crs.Errorf(crs.ECONFLICT, "clinic %s is no longer active", c.Code)
	}
	var added []string
	for d := from.Time; !d.After(to.Time); d = d.AddDate(0, 0, 1) {
		for _, ses := range c.Sessions {
			if d.Weekday() != ses.Weekday {
				continue
			}
			startMin, endMin := ses.Minutes()
			for m := startMin; m+ses.SlotMinutes <= endMin; m += ses.SlotMinutes {
				start := time.Date(d.Year(), d.Month(), d.Day(), m/60, m%60, 0, 0, crs.London)
				end := start.Add(time.Duration(ses.SlotMinutes) * time.Minute)
				id := crs.NewID()
				res, err := tx.Exec(`INSERT INTO slots (id, org_id, clinic_id, start_at, end_at, slot_type) VALUES ($1, $2, $3, $4, $5, $6)
					ON CONFLICT (clinic_id, start_at) DO NOTHING`, id, tx.actor.OrgID, c.ID, formatTime(start), formatTime(end), ses.SlotType)
				if err != nil {
					return 0, err
				}
				if n, _ := res.RowsAffected(); n > 0 {
					added = append(added, id)
				}
			}
		}
	}
	err = tx.EmitData(&crs.Event{Type: crs.EventSlotsGenerated, SubjectID: c.ID,
		Summary: fmt.Sprintf("%s generated for clinic %s from %s to %s", crs.Count(len(added), "slot", "slots"), c.Code, from.Display(), to.Display())},
		"clinic slots", map[string]any{"clinic_id": c.ID, "from": from.String(), "to": to.String(), "added": len(added), "slot_ids": added})
	return len(added), err
}

// GenerateSlots makes the clinic's slots for the dates from..to.
func (s *OutpatientService) GenerateSlots(ctx context.Context, a crs.Actor, clinicID string, from, to crs.Date) (int, error) {
	var n int
	err := s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		var err error
		n, err = generateClinicSlots(tx, clinicID, from, to)
		return err
	})
	return n, err
}

// FindSlots lists slots, earliest first.
func (s *OutpatientService) FindSlots(ctx context.Context, a crs.Actor, q crs.SlotQuery) ([]*crs.Slot, error) {
	if err := a.Authorize(crs.ActManagePathways); err != nil {
		s.db.refused(a, crs.ActManagePathways)
		return nil, err
	}
	if q.ID != "" {
		q.From, q.To = time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if q.From.IsZero() && q.ID == "" {
		q.From = s.db.Clock.Now()
	}
	if q.To.IsZero() {
		q.To = q.From.AddDate(0, 0, 56)
	}
	if q.Limit <= 0 || q.Limit > 5000 {
		q.Limit = 200
	}
	args := []any{a.OrgID, formatTime(q.From), formatTime(q.To)}
	arg := paramAdder(&args)
	where := ""
	if q.ID != "" {
		where += ` AND s.id = ` + arg(q.ID)
	}
	if q.ClinicID != "" {
		where += ` AND s.clinic_id = ` + arg(q.ClinicID)
	}
	if q.TreatmentFunction != "" {
		where += ` AND s.clinic_id IN (SELECT id FROM clinics WHERE org_id = $1 AND treatment_function = ` + arg(q.TreatmentFunction) + `)`
	}
	// The slots of some clinics are read by clinic (slots_org_clinic_start)
	// and then put in time order; ordered by the bare start time, SQLite
	// would walk every clinic's slots in time order to keep the ones asked
	// for.
	order := `s.start_at`
	if q.ClinicID != "" || q.TreatmentFunction != "" {
		order = `s.start_at || ''`
	}
	if q.Type != "" {
		where += ` AND s.slot_type = ` + arg(q.Type)
	}
	if q.FreeOnly {
		where += ` AND NOT EXISTS (SELECT 1 FROM appointments x WHERE x.slot_id = s.id AND x.live = 1)`
	}
	dir := ""
	if q.Desc {
		// Read from the latest: the index of starts walked backwards.
		dir = " DESC"
	}
	return queryRows(ctx, s.db.read, func(r scanner) (*crs.Slot, error) {
		var sl crs.Slot
		var start, end string
		var booked bool
		err := r.Scan(&sl.ID, &sl.OrgID, &sl.ClinicID, &start, &end, &sl.Type, &sl.ClinicCode, &booked)
		sl.Start, sl.End, sl.Booked = parseTime(start), parseTime(end), booked
		return &sl, err
	}, `SELECT s.id, s.org_id, s.clinic_id, s.start_at, s.end_at, s.slot_type, c.code,
		EXISTS (SELECT 1 FROM appointments x WHERE x.slot_id = s.id AND x.live = 1)
		FROM slots s JOIN clinics c ON c.id = s.clinic_id
		WHERE s.org_id = $1 AND s.start_at >= $2 AND s.start_at < $3`+where+` ORDER BY `+order+dir+`, c.code`+dir+`, s.id`+dir+` LIMIT `+arg(q.Limit), args...)
}
