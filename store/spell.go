package store

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// InpatientService admits, moves and discharges inpatients over SQL.
type InpatientService struct{ db *DB }

// NewInpatientService returns the inpatient service over db.
func NewInpatientService(db *DB) *InpatientService { return &InpatientService{db: db} }

var _ crs.InpatientService = (*InpatientService)(nil)

const spellColumns = `id, org_id, patient_id, pathway_id, entry_id, ed_attendance_id, admission_method, admission_source, patient_class,
	for_treatment, admitted_at, ward_id, bed_id, consultant_code, treatment_function, status, leave_started_at, expected_discharge,
	discharged_at, discharge_method, discharge_destination, created_at, updated_at, visit_number, not_done_reason, not_done_note`

func scanSpell(r scanner) (*crs.Spell, error) {
	var s crs.Spell
	var forT int
	var admitted, leave, expected, discharged, created, updated string
	if err := r.Scan(&s.ID, &s.OrgID, &s.PatientID, &s.PathwayID, &s.EntryID, &s.EDAttendanceID, &s.AdmissionMethod, &s.AdmissionSource,
		&s.PatientClass, &forT, &admitted, &s.WardID, &s.BedID, &s.ConsultantCode, &s.TreatmentFunction, &s.Status, &leave, &expected,
		&discharged, &s.DischargeMethod, &s.DischargeDestination, &created, &updated, &s.VisitNumber, &s.NotDoneReason, &s.NotDoneNote); err != nil {
		return nil, notFound(err, "no such spell")
	}
	s.ForTreatment = forT == 1
	s.AdmittedAt, s.LeaveStartedAt, s.ExpectedDischarge = parseTime(admitted), parseTime(leave), parseDate(expected)
	s.DischargedAt, s.CreatedAt, s.UpdatedAt = parseTime(discharged), parseTime(created), parseTime(updated)
	return &s, nil
}

func getSpell(tx *Tx, id string) (*crs.Spell, error) {
	return scanSpell(tx.QueryRow(`SELECT `+spellColumns+` FROM spells WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
}

// spellData builds the Data of a spell event from the spell as it now is.
func spellData(tx *Tx, s *crs.Spell, at time.Time) crs.SpellEventData {
	return crs.SpellEventData{PatientID: s.PatientID, SpellID: s.ID, VisitNumber: s.VisitNumber, Status: s.Status, AdmissionMethod: s.AdmissionMethod,
		AdmissionSource: s.AdmissionSource, PatientClass: s.PatientClass, AdmittedAt: s.AdmittedAt, WardCode: locationCode(tx, s.WardID),
		BayCode: bayCode(tx, s.BedID), BedCode: locationCode(tx, s.BedID), ConsultantCode: s.ConsultantCode, TreatmentFunction: s.TreatmentFunction,
		DischargedAt: s.DischargedAt, DischargeMethod: s.DischargeMethod, Destination: s.DischargeDestination, At: at, PathwayID: s.PathwayID}
}

// checkPlace checks the ward is a ward of the trust and the bed, if any,
// a bed on that ward (directly or in one of its bays) that is available
// and free.
func checkPlace(tx *Tx, wardID, bedID string) error {
	var kind string
	if err := tx.QueryRow(`SELECT kind FROM locations WHERE id = $1 AND org_id = $2`, wardID, tx.actor.OrgID).Scan(&kind); err != nil || kind != string(crs.LocationWard) {
		return crs.FieldErrorf("ward", "no such ward in this trust")
	}
	if bedID == "" {
		return nil
	}
	var parent, parentKind, grand, status string
	if err := tx.QueryRow(`SELECT b.parent_id, p.kind, p.parent_id, b.status FROM locations b JOIN locations p ON p.id = b.parent_id
		WHERE b.id = $1 AND b.org_id = $2 AND b.kind = 'bed'`, bedID, tx.actor.OrgID).Scan(&parent, &parentKind, &grand, &status); err != nil {
		return crs.FieldErrorf("bed", "no such bed in this trust")
	}
	if parent != wardID && !(parentKind == string(crs.LocationBay) && grand == wardID) {
		return crs.FieldErrorf("bed", "bed %s is not on ward %s", locationCode(tx, bedID), locationCode(tx, wardID))
	}
	if status != string(crs.BedAvailable) {
		return &crs.Error{Code: crs.ECONFLICT, Field: "bed", Message: fmt.Sprintf("bed %s is %s: choose an available bed", locationCode(tx, bedID),
			strings.ReplaceAll(status, "_", " "))}
	}
	return bedFree(tx, bedID)
}

func bedFree(tx *Tx, bedID string) error {
	if bedID == "" {
		return nil
	}
	var n int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM bed_stays WHERE bed_id = $1 AND is_current = 1`, bedID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return &crs.Error{Code: crs.ECONFLICT, Field: "bed", Message: fmt.Sprintf("bed %s is occupied", locationCode(tx, bedID))}
	}
	return nil
}

func bedConflict(tx *Tx, err error, bedID string) error {
	if isUniqueViolation(err) {
		return &crs.Error{Code: crs.ECONFLICT, Field: "bed", Message: fmt.Sprintf("bed %s is occupied", locationCode(tx, bedID))}
	}
	return err
}

// currentStay returns the id, seq, start and bed of the spell's current
// (or, once discharged, last) stay.
func lastStay(tx *Tx, spellID string) (id string, seq int, start time.Time, bed string, err error) {
	var st string
	err = tx.QueryRow(`SELECT id, seq, start_at, bed_id FROM bed_stays WHERE spell_id = $1 AND cancelled = 0 ORDER BY seq DESC LIMIT 1`, spellID).Scan(&id, &seq, &st, &bed)
	return id, seq, parseTime(st), bed, err
}

// Admit admits a patient.
func (s *InpatientService) Admit(ctx context.Context, a crs.Actor, ad *crs.Admission) (*crs.Spell, error) {
	var sp *crs.Spell
	err := s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		var err error
		sp, err = admitPatient(tx, ad)
		return err
	})
	return sp, err
}

// admitPatient admits within a command. Admitting a planned admission
// (ad.PreadmissionID, or the pending pre-admission of the waiting list
// entry admitted from) takes what the admission leaves empty from it,
// marks it admitted and gives the spell its visit number; any other
// spell takes the trust's next visit number.
func admitPatient(tx *Tx, ad *crs.Admission) (*crs.Spell, error) {
	var entry *crs.WaitingListEntry
	var pa *crs.Preadmission
	var err error
	if ad.PreadmissionID != "" {
		if pa, err = pendingPreadmission(tx, ad.PreadmissionID); err != nil {
			return nil, err
		}
		if ad.PatientID != "" && ad.PatientID != pa.PatientID {
			return nil, crs.FieldErrorf("patient", "the planned admission is another patient's")
		}
		fromPreadmission(tx, ad, pa)
	}
	if ad.EntryID != "" {
		if entry, err = liveEntry(tx, ad.EntryID); err != nil {
			return nil, err
		}
		if ad.PatientID != "" && ad.PatientID != entry.PatientID {
			return nil, crs.FieldErrorf("patient", "the waiting list entry is another patient's")
		}
		ad.PatientID = entry.PatientID
		if ad.TreatmentFunction == "" {
			ad.TreatmentFunction = entry.TreatmentFunction
		}
		if ad.ConsultantCode == "" {
			ad.ConsultantCode = entry.ConsultantCode
		}
	}
	if pa == nil && entry != nil {
		if pa, err = entryPreadmission(tx, entry.ID); err != nil {
			return nil, err
		}
	}
	if err := ad.Validate(); err != nil {
		return nil, err
	}
	if err := livePatient(tx, ad.PatientID); err != nil {
		return nil, err
	}
	at, err := whenOrNow(tx, ad.At, "admitted_at")
	if err != nil {
		return nil, err
	}
	var open int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM spells WHERE org_id = $1 AND patient_id = $2 AND status IN ('admitted', 'on_leave')`, tx.actor.OrgID, ad.PatientID).Scan(&open); err != nil {
		return nil, err
	}
	if open > 0 {
		return nil, crs.Errorf(crs.ECONFLICT, "the patient is already an inpatient; transfer them instead")
	}
	if err := checkPlace(tx, ad.WardID, ad.BedID); err != nil {
		return nil, err
	}
	sp := &crs.Spell{ID: cmp.Or(ad.SpellID, crs.NewID()), OrgID: tx.actor.OrgID, PatientID: ad.PatientID, EntryID: ad.EntryID, EDAttendanceID: ad.EDAttendanceID,
		AdmissionMethod: ad.Method, AdmissionSource: ad.Source, PatientClass: ad.PatientClass, AdmittedAt: at, WardID: ad.WardID, BedID: ad.BedID,
		ConsultantCode: ad.ConsultantCode, TreatmentFunction: ad.TreatmentFunction, Status: crs.SpellAdmitted, ExpectedDischarge: ad.ExpectedDischarge,
		CreatedAt: tx.now, UpdatedAt: tx.now}
	if entry != nil {
		sp.PathwayID = entry.PathwayID
		sp.ForTreatment = entry.ForTreatment
		if ad.ForTreatment != nil {
			sp.ForTreatment = *ad.ForTreatment
		}
		if sp.PatientClass == "" && (entry.IntendedManagement == "2" || entry.IntendedManagement == "4") {
			sp.PatientClass = "2"
		}
	}
	if sp.PatientClass == "" {
		sp.PatientClass = "1"
	}
	if pa != nil {
		sp.VisitNumber = pa.VisitNumber
	} else if sp.VisitNumber, err = nextVisitNumber(tx); err != nil {
		return nil, err
	}
	if ad.EDAttendanceID != "" {
		var pid, status string
		if err := tx.QueryRow(`SELECT patient_id, status FROM ed_attendances WHERE id = $1 AND org_id = $2`, ad.EDAttendanceID, tx.actor.OrgID).Scan(&pid, &status); err != nil {
			return nil, notFound(err, "no such A&E attendance")
		}
		if pid != sp.PatientID || status != crs.EDInDepartment {
			return nil, crs.Errorf(crs.ECONFLICT, "the A&E attendance is not this patient's or has ended")
		}
	}
	if _, err := tx.Exec(`INSERT INTO spells (id, org_id, patient_id, pathway_id, entry_id, ed_attendance_id, admission_method, admission_source,
		patient_class, for_treatment, admitted_at, ward_id, bed_id, consultant_code, treatment_function, status, expected_discharge, created_at, updated_at, visit_number)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'admitted', $16, $17, $17, $18)`,
		sp.ID, sp.OrgID, sp.PatientID, sp.PathwayID, sp.EntryID, sp.EDAttendanceID, sp.AdmissionMethod, sp.AdmissionSource, sp.PatientClass,
		oneIf(sp.ForTreatment), formatTime(at), sp.WardID, sp.BedID, sp.ConsultantCode, sp.TreatmentFunction, dateText(sp.ExpectedDischarge), formatTime(tx.now), sp.VisitNumber); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`INSERT INTO episodes (id, org_id, spell_id, patient_id, seq, consultant_code, treatment_function, start_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $7)`,
		crs.NewID(), sp.OrgID, sp.ID, sp.PatientID, sp.ConsultantCode, sp.TreatmentFunction, formatTime(at)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(`INSERT INTO bed_stays (id, org_id, spell_id, patient_id, seq, ward_id, bed_id, start_at, is_current) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, 1)`,
		crs.NewID(), sp.OrgID, sp.ID, sp.PatientID, sp.WardID, sp.BedID, formatTime(at)); err != nil {
		return nil, bedConflict(tx, err, sp.BedID)
	}
	if entry != nil {
		// An entry listed for treatment from which the patient is admitted
		// for diagnostics only stays waiting: the treatment is still to
		// come and the clock runs on (s4.3.2.3).
		if !entry.ForTreatment || sp.ForTreatment {
			if _, err := tx.Exec(`UPDATE waiting_list_entries SET status = 'admitted', removal_reason = '1', removed_on = $1, spell_id = $2, updated_at = $3 WHERE id = $4`,
				dateText(localDate(at)), sp.ID, formatTime(tx.now), entry.ID); err != nil {
				return nil, err
			}
		}
		kind, st := rtt.KindAdmittedDiagnostic, rtt.Status(0)
		if sp.ForTreatment {
			kind, st = rtt.KindAdmittedForTreatment, rtt.StatusFirstTreatment
		}
		if err := addRTTEvent(tx, sp.PathwayID, rtt.Event{Date: localDate(at).Time, Kind: kind, Status: st, Ref: sp.ID}, false); err != nil {
			return nil, err
		}
	}
	if ad.EDAttendanceID != "" {
		if _, err := tx.Exec(`UPDATE ed_attendances SET status = 'departed', departed_at = $1, departure = 'admitted', spell_id = $2 WHERE id = $3`,
			formatTime(at), sp.ID, ad.EDAttendanceID); err != nil {
			return nil, err
		}
		if err := tx.EmitData(&crs.Event{Type: crs.EventEDDeparted, PatientID: sp.PatientID, SubjectID: ad.EDAttendanceID, EffectiveAt: at,
			Summary: "Left A&E: admitted"}, "A&E attendance", map[string]any{"attendance_id": ad.EDAttendanceID, "departure": crs.EDAdmitted, "spell_id": sp.ID, "at": at}); err != nil {
			return nil, err
		}
	}
	if pa != nil {
		if err := preadmissionAdmitted(tx, pa, sp, at); err != nil {
			return nil, err
		}
	}
	d := spellData(tx, sp, at)
	if pa != nil {
		d.PreadmissionID = pa.ID
	}
	where := d.WardCode
	if d.BedCode != "" {
		where += " bed " + d.BedCode
	}
	return sp, tx.EmitData(&crs.Event{Type: crs.EventSpellAdmitted, PatientID: sp.PatientID, SubjectID: sp.ID, EffectiveAt: at,
		Summary: fmt.Sprintf("Admitted to %s under %s (method %s), visit %s", where, sp.ConsultantCode, sp.AdmissionMethod, sp.VisitNumber)}, "admission", d)
}

// inSpell reads a spell the patient is still in.
func inSpell(tx *Tx, id string) (*crs.Spell, error) {
	sp, err := getSpell(tx, id)
	if err != nil {
		return nil, err
	}
	if sp.Status != crs.SpellAdmitted && sp.Status != crs.SpellOnLeave {
		return nil, crs.Errorf(crs.ECONFLICT, "the spell has ended (%s)", sp.Status)
	}
	return sp, nil
}

// Transfer moves the patient to another ward or bed.
func (s *InpatientService) Transfer(ctx context.Context, a crs.Actor, spellID string, t crs.Transfer) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return transferPatient(tx, spellID, t) })
}

// ChangeConsultant starts a new consultant episode.
func (s *InpatientService) ChangeConsultant(ctx context.Context, a crs.Actor, spellID, consultantCode, treatmentFunction string, at time.Time) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		sp, err := inSpell(tx, spellID)
		if err != nil {
			return err
		}
		if !crs.ValidConsultantCode(consultantCode) {
			return crs.FieldErrorf("consultant", "consultant code %q is not valid", consultantCode)
		}
		if consultantCode == sp.ConsultantCode && (treatmentFunction == "" || treatmentFunction == sp.TreatmentFunction) {
			return crs.FieldErrorf("consultant", "the patient is already under %s", consultantCode)
		}
		if at, err = whenOrNow(tx, at, "at"); err != nil {
			return err
		}
		if treatmentFunction == "" {
			treatmentFunction = sp.TreatmentFunction
		}
		var epID, start string
		var seq int
		if err := tx.QueryRow(`SELECT id, seq, start_at FROM episodes WHERE spell_id = $1 ORDER BY seq DESC LIMIT 1`, sp.ID).Scan(&epID, &seq, &start); err != nil {
			return err
		}
		if at.Before(parseTime(start)) {
			return crs.FieldErrorf("at", "the new episode cannot start before the current one")
		}
		if _, err := tx.Exec(`UPDATE episodes SET end_at = $1 WHERE id = $2`, formatTime(at), epID); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO episodes (id, org_id, spell_id, patient_id, seq, consultant_code, treatment_function, start_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			crs.NewID(), sp.OrgID, sp.ID, sp.PatientID, seq+1, consultantCode, treatmentFunction, formatTime(at)); err != nil {
			return err
		}
		prev := sp.ConsultantCode
		sp.ConsultantCode, sp.TreatmentFunction = consultantCode, treatmentFunction
		if _, err := tx.Exec(`UPDATE spells SET consultant_code = $1, treatment_function = $2, updated_at = $3 WHERE id = $4`, consultantCode, treatmentFunction, formatTime(tx.now), sp.ID); err != nil {
			return err
		}
		if err := refreshCoursesStoppedAt(tx, sp.ID); err != nil {
			return err
		}
		d := spellData(tx, sp, at)
		d.PriorConsultant = prev
		return tx.EmitData(&crs.Event{Type: crs.EventSpellConsultantChanged, PatientID: sp.PatientID, SubjectID: sp.ID, EffectiveAt: at,
			Summary: fmt.Sprintf("Care passed from %s to %s (new consultant episode)", prev, consultantCode)}, "consultant episode", d)
	})
}

// StartLeave records the start of leave of absence.
func (s *InpatientService) StartLeave(ctx context.Context, a crs.Actor, spellID string, at time.Time) error {
	return s.leave(ctx, a, spellID, at, true)
}

// EndLeave records the patient's return from leave.
func (s *InpatientService) EndLeave(ctx context.Context, a crs.Actor, spellID string, at time.Time) error {
	return s.leave(ctx, a, spellID, at, false)
}

func (s *InpatientService) leave(ctx context.Context, a crs.Actor, spellID string, at time.Time, start bool) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return patientLeave(tx, spellID, at, start) })
}

// SetExpectedDischarge records the expected date of discharge.
func (s *InpatientService) SetExpectedDischarge(ctx context.Context, a crs.Actor, spellID string, d crs.Date) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error {
		sp, err := inSpell(tx, spellID)
		if err != nil {
			return err
		}
		if !d.IsZero() && d.Before(localDate(sp.AdmittedAt).Time) {
			return crs.FieldErrorf("expected_discharge", "the expected discharge is before the admission")
		}
		sp.ExpectedDischarge = d
		if _, err := tx.Exec(`UPDATE spells SET expected_discharge = $1, updated_at = $2 WHERE id = $3`, dateText(d), formatTime(tx.now), sp.ID); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventSpellUpdated, PatientID: sp.PatientID, SubjectID: sp.ID, Summary: "Expected discharge " + d.Display()}, "expected discharge", spellData(tx, sp, tx.now))
	})
}

// Discharge ends the spell.
func (s *InpatientService) Discharge(ctx context.Context, a crs.Actor, spellID string, d crs.Discharge) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return dischargePatient(tx, spellID, d) })
}

// dischargePatient discharges within a command.
func dischargePatient(tx *Tx, spellID string, d crs.Discharge) error {
	if err := d.Validate(); err != nil {
		return err
	}
	sp, err := inSpell(tx, spellID)
	if err != nil {
		return err
	}
	at, err := whenOrNow(tx, d.At, "discharged_at")
	if err != nil {
		return err
	}
	stayID, _, start, _, err := lastStay(tx, sp.ID)
	if err != nil {
		return err
	}
	if at.Before(start) || at.Before(sp.AdmittedAt) {
		return crs.FieldErrorf("discharged_at", "the discharge cannot be before the patient arrived in the current bed (%s)", apptTime(start))
	}
	if _, err := tx.Exec(`UPDATE bed_stays SET end_at = $1, is_current = 0 WHERE id = $2`, formatTime(at), stayID); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE episodes SET end_at = $1 WHERE spell_id = $2 AND end_at = ''`, formatTime(at), sp.ID); err != nil {
		return err
	}
	sp.Status, sp.DischargedAt, sp.DischargeMethod, sp.DischargeDestination, sp.LeaveStartedAt = crs.SpellDischarged, at, d.Method, d.Destination, time.Time{}
	if _, err := tx.Exec(`UPDATE spells SET status = 'discharged', discharged_at = $1, discharge_method = $2, discharge_destination = $3, leave_started_at = '', updated_at = $4 WHERE id = $5`,
		formatTime(at), d.Method, d.Destination, formatTime(tx.now), sp.ID); err != nil {
		return err
	}
	if sp.PathwayID != "" && d.Method == "4" {
		if err := addRTTEvent(tx, sp.PathwayID, rtt.Event{Date: localDate(at).Time, Kind: rtt.KindPatientDied, Ref: sp.ID}, false); err != nil {
			return err
		}
	}
	if sp.EntryID != "" {
		var refID string
		tx.QueryRow(`SELECT referral_id FROM waiting_list_entries WHERE id = $1`, sp.EntryID).Scan(&refID)
		if refID != "" {
			if d.FollowUpWeeks > 0 && d.Method != "4" {
				err = setWorklist(tx, refID, crs.WorklistFollowUpDue, crs.Date{Time: localDate(at).AddDate(0, 0, 7*d.FollowUpWeeks)})
			} else {
				err = closeReferral(tx, refID, localDate(at), "discharged after admission")
			}
			if err != nil {
				return err
			}
		}
	}
	data := spellData(tx, sp, at)
	return tx.EmitData(&crs.Event{Type: crs.EventSpellDischarged, PatientID: sp.PatientID, SubjectID: sp.ID, EffectiveAt: at,
		Summary: fmt.Sprintf("Discharged from %s (method %s, destination %s)", data.WardCode, d.Method, d.Destination)}, "discharge", data)
}

// CancelAdmission undoes an admission entered in error (A11).
func (s *InpatientService) CancelAdmission(ctx context.Context, a crs.Actor, spellID, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return cancelPatientAdmission(tx, spellID, reason) })
}

// CancelTransfer undoes the last transfer (A12).
func (s *InpatientService) CancelTransfer(ctx context.Context, a crs.Actor, spellID, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return cancelPatientTransfer(tx, spellID, reason) })
}

// CancelDischarge undoes a discharge (A13): the patient is back in the
// bed they left, if it is still free.
func (s *InpatientService) CancelDischarge(ctx context.Context, a crs.Actor, spellID, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return cancelPatientDischarge(tx, spellID, reason) })
}

// FindSpell returns a spell with its episodes and stays.
func (s *InpatientService) FindSpell(ctx context.Context, a crs.Actor, id string) (*crs.Spell, error) {
	var sp *crs.Spell
	err := s.db.view(ctx, a, crs.ActViewDemographics, "spell", func(q Querier) (string, error) {
		var err error
		if sp, err = scanSpell(q.QueryRowContext(ctx, `SELECT `+spellColumns+` FROM spells WHERE id = $1 AND org_id = $2`, id, a.OrgID)); err != nil {
			return "", err
		}
		if sp.Episodes, err = queryRows(ctx, q, func(r scanner) (*crs.Episode, error) {
			e, _, err := scanEpisode(r)
			return e, err
		}, `SELECT `+episodeColumns+` FROM episodes WHERE spell_id = $1 ORDER BY seq`, id); err != nil {
			return "", err
		}
		sp.Stays, err = queryRows(ctx, q, func(r scanner) (*crs.BedStay, error) {
			b, _, err := scanStay(r)
			return b, err
		}, `SELECT `+stayColumns+` FROM bed_stays WHERE spell_id = $1 AND cancelled = 0 ORDER BY seq`, id)
		return sp.PatientID, err
	})
	return sp, err
}

// episodeColumns and stayColumns are what scanEpisode and scanStay read
// of a consultant episode and a bed stay, the spell's id last.
const (
	episodeColumns = `id, seq, consultant_code, treatment_function, start_at, end_at, spell_id`
	stayColumns    = `id, seq, ward_id, bed_id, start_at, end_at, spell_id`
)

func scanEpisode(r scanner) (*crs.Episode, string, error) {
	var e crs.Episode
	var st, en, spellID string
	err := r.Scan(&e.ID, &e.Seq, &e.ConsultantCode, &e.TreatmentFunction, &st, &en, &spellID)
	e.Start, e.End = parseTime(st), parseTime(en)
	return &e, spellID, err
}

func scanStay(r scanner) (*crs.BedStay, string, error) {
	var b crs.BedStay
	var st, en, spellID string
	err := r.Scan(&b.ID, &b.Seq, &b.WardID, &b.BedID, &st, &en, &spellID)
	b.Start, b.End = parseTime(st), parseTime(en)
	return &b, spellID, err
}
