package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// This file holds the inpatient commands as package funcs that take the
// command's *Tx, for the HL7 inbound interface, which applies an ADT
// event and logs its message in one transaction through crs.Tx. The bodies follow the
// InpatientService methods of spell.go step for step; those methods can
// become one-line wrappers of these funcs.

// findWardByCode returns the id of the trust's ward with the code.
func findWardByCode(tx *Tx, code string) (string, error) {
	var id string
	err := tx.QueryRow(`SELECT id FROM locations WHERE org_id = $1 AND kind = 'ward' AND code = $2 AND active = 1 ORDER BY id LIMIT 1`,
		tx.actor.OrgID, strings.TrimSpace(code)).Scan(&id)
	if err != nil {
		return "", &crs.Error{Code: crs.ENOTFOUND, Field: "ward", Message: fmt.Sprintf("no ward with code %s in this trust", code), Err: err}
	}
	return id, nil
}

// findBedByCode returns the id of the bed with the code on the ward,
// directly or in one of its bays; bay, when given, narrows it to that
// bay (or room).
func findBedByCode(tx *Tx, wardID, bay, code string) (string, error) {
	var id string
	var err error
	if bay != "" {
		err = tx.QueryRow(`SELECT b.id FROM locations b JOIN locations p ON p.id = b.parent_id
			WHERE b.org_id = $1 AND b.kind = 'bed' AND b.code = $2 AND p.code = $3 AND p.kind = 'bay' AND p.parent_id = $4 ORDER BY b.id LIMIT 1`,
			tx.actor.OrgID, code, bay, wardID).Scan(&id)
	} else {
		err = tx.QueryRow(`SELECT b.id FROM locations b JOIN locations p ON p.id = b.parent_id
			WHERE b.org_id = $1 AND b.kind = 'bed' AND b.code = $2 AND (p.id = $3 OR (p.kind = 'bay' AND p.parent_id = $3)) ORDER BY b.id LIMIT 1`,
			tx.actor.OrgID, code, wardID).Scan(&id)
	}
	if err != nil {
		where := locationCode(tx, wardID)
		if bay != "" {
			where += " bay " + bay
		}
		return "", &crs.Error{Code: crs.ENOTFOUND, Field: "bed", Message: fmt.Sprintf("no bed with code %s on ward %s", code, where), Err: err}
	}
	return id, nil
}

// currentSpell returns the patient's open spell (admitted or on leave).
func currentSpell(tx *Tx, patientID string) (*crs.Spell, error) {
	return scanSpell(tx.QueryRow(`SELECT `+spellColumns+` FROM spells WHERE org_id = $1 AND patient_id = $2 AND status IN ('admitted', 'on_leave')
		ORDER BY admitted_at DESC LIMIT 1`, tx.actor.OrgID, patientID))
}

// latestSpell returns the patient's most recent spell of any status.
func latestSpell(tx *Tx, patientID string) (*crs.Spell, error) {
	return scanSpell(tx.QueryRow(`SELECT `+spellColumns+` FROM spells WHERE org_id = $1 AND patient_id = $2 AND status <> 'cancelled'
		ORDER BY admitted_at DESC, id DESC LIMIT 1`, tx.actor.OrgID, patientID))
}

// linkVisitNumber records that facility's visit number names the spell.
func linkVisitNumber(tx *Tx, sp *crs.Spell, facility, visit string) error {
	return tx.EmitData(&crs.Event{Type: crs.EventVisitNumberLinked, PatientID: sp.PatientID, SubjectID: sp.ID,
		Summary: fmt.Sprintf("Visit number %s of %s names this spell", visit, facility)}, "visit number", crs.VisitNumberLink{SpellID: sp.ID, Facility: facility, Visit: visit})
}

// findSpellByVisitNumber returns the patient's spell that facility's
// visit number names.
func findSpellByVisitNumber(tx *Tx, patientID, facility, visit string) (*crs.Spell, error) {
	rows, err := tx.Query(`SELECT data FROM events WHERE org_id = $1 AND patient_id = $2 AND type = $3 ORDER BY id DESC`, tx.actor.OrgID, patientID, crs.EventVisitNumberLinked)
	if err != nil {
		return nil, err
	}
	var spellID string
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return nil, err
		}
		var v crs.VisitNumberLink
		if json.Unmarshal([]byte(data), &v) == nil && v.Visit == visit && v.Facility == facility {
			spellID = v.SpellID
			break
		}
	}
	rows.Close()
	if spellID == "" {
		return nil, crs.Errorf(crs.ENOTFOUND, "no spell of this patient has visit number %s", visit)
	}
	return getSpell(tx, spellID)
}

// lastEventID returns the id of the last event the command appended, or
// "" if none.
func lastEventID(tx *Tx) string {
	for i := len(tx.events) - 1; i >= 0; i-- {
		if tx.events[i].Type != crs.EventVisitNumberLinked {
			return tx.events[i].ID
		}
	}
	return ""
}

// transferPatient moves an inpatient to another ward or bed within a
// command (A02).
func transferPatient(tx *Tx, spellID string, t crs.Transfer) error {
	sp, err := inSpell(tx, spellID)
	if err != nil {
		return err
	}
	at, err := whenOrNow(tx, t.At, "at")
	if err != nil {
		return err
	}
	if t.WardID == sp.WardID && t.BedID == sp.BedID {
		return crs.FieldErrorf("bed", "the patient is already there")
	}
	stayID, seq, start, _, err := lastStay(tx, sp.ID)
	if err != nil {
		return err
	}
	if at.Before(start) {
		return crs.FieldErrorf("at", "the transfer cannot be before the patient arrived in the current bed (%s)", apptTime(start))
	}
	if _, err := tx.Exec(`UPDATE bed_stays SET end_at = $1, is_current = 0 WHERE id = $2`, formatTime(at), stayID); err != nil {
		return err
	}
	if err := checkPlace(tx, t.WardID, t.BedID); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO bed_stays (id, org_id, spell_id, patient_id, seq, ward_id, bed_id, start_at, is_current) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)`,
		crs.NewID(), sp.OrgID, sp.ID, sp.PatientID, seq+1, t.WardID, t.BedID, formatTime(at)); err != nil {
		return bedConflict(tx, err, t.BedID)
	}
	prevWard, prevBed := sp.WardID, sp.BedID
	sp.WardID, sp.BedID, sp.UpdatedAt = t.WardID, t.BedID, tx.now
	if _, err := tx.Exec(`UPDATE spells SET ward_id = $1, bed_id = $2, updated_at = $3 WHERE id = $4`, sp.WardID, sp.BedID, formatTime(tx.now), sp.ID); err != nil {
		return err
	}
	d := spellData(tx, sp, at)
	d.PriorWardCode, d.PriorBayCode, d.PriorBedCode = locationCode(tx, prevWard), bayCode(tx, prevBed), locationCode(tx, prevBed)
	return tx.EmitData(&crs.Event{Type: crs.EventSpellTransferred, PatientID: sp.PatientID, SubjectID: sp.ID, EffectiveAt: at,
		Summary: fmt.Sprintf("Moved from %s %s to %s %s", d.PriorWardCode, d.PriorBedCode, d.WardCode, d.BedCode)}, "transfer", d)
}

// patientLeave records the start of leave of absence within a command
// (A21), or the return from it (A22). The bed is kept.
func patientLeave(tx *Tx, spellID string, at time.Time, start bool) error {
	sp, err := inSpell(tx, spellID)
	if err != nil {
		return err
	}
	if at, err = whenOrNow(tx, at, "at"); err != nil {
		return err
	}
	typ, summary := crs.EventSpellLeaveStarted, "Went on leave"
	if start {
		if sp.Status == crs.SpellOnLeave {
			return crs.Errorf(crs.ECONFLICT, "the patient is already on leave")
		}
		sp.Status, sp.LeaveStartedAt = crs.SpellOnLeave, at
	} else {
		if sp.Status != crs.SpellOnLeave {
			return crs.Errorf(crs.ECONFLICT, "the patient is not on leave")
		}
		typ, summary = crs.EventSpellLeaveEnded, "Returned from leave"
		sp.Status, sp.LeaveStartedAt = crs.SpellAdmitted, time.Time{}
	}
	if _, err := tx.Exec(`UPDATE spells SET status = $1, leave_started_at = $2, updated_at = $3 WHERE id = $4`, sp.Status, formatTime(sp.LeaveStartedAt), formatTime(tx.now), sp.ID); err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: typ, PatientID: sp.PatientID, SubjectID: sp.ID, EffectiveAt: at, Summary: summary}, "leave", spellData(tx, sp, at))
}

// cancelPatientAdmission undoes an admission entered in error within a
// command (A11), as InpatientService.CancelAdmission does.
func cancelPatientAdmission(tx *Tx, spellID, reason string) error {
	sp, err := inSpell(tx, spellID)
	if err != nil {
		return err
	}
	if reason == "" {
		return crs.FieldErrorf("reason", "say why the admission is cancelled")
	}
	if _, err := tx.Exec(`UPDATE bed_stays SET is_current = 0, cancelled = 1 WHERE spell_id = $1`, sp.ID); err != nil {
		return err
	}
	sp.Status = crs.SpellCancelled
	if _, err := tx.Exec(`UPDATE spells SET status = 'cancelled', updated_at = $1 WHERE id = $2`, formatTime(tx.now), sp.ID); err != nil {
		return err
	}
	if sp.EntryID != "" {
		if _, err := tx.Exec(`UPDATE waiting_list_entries SET status = 'waiting', removal_reason = '', removed_on = '', spell_id = '', updated_at = $1 WHERE id = $2`,
			formatTime(tx.now), sp.EntryID); err != nil {
			return err
		}
		if err := removeRTTEvents(tx, sp.PathwayID, sp.ID, rtt.KindAdmittedForTreatment, rtt.KindAdmittedDiagnostic, rtt.KindAdmittedNotTreated); err != nil {
			return err
		}
	}
	if sp.EDAttendanceID != "" {
		if _, err := tx.Exec(`UPDATE ed_attendances SET status = 'in_department', departed_at = '', departure = '', spell_id = '' WHERE id = $1`, sp.EDAttendanceID); err != nil {
			return err
		}
		// The attendance's events say it is in the department again, so
		// the A&E return as recorded (replayed from them) says so too.
		e, err := scanED(tx.QueryRow(`SELECT `+edColumns+` FROM ed_attendances WHERE id = $1 AND org_id = $2`, sp.EDAttendanceID, tx.actor.OrgID))
		if err != nil {
			return err
		}
		if err := tx.EmitData(&crs.Event{Type: crs.EventEDAdmissionCancelled, PatientID: e.PatientID, SubjectID: e.ID,
			Summary: "Back in A&E: the admission was cancelled"}, "A&E attendance", e); err != nil {
			return err
		}
	}
	// A planned admission the spell was admitted from is pending again.
	planned, err := reopenPreadmission(tx, sp.ID)
	if err != nil {
		return err
	}
	d := spellData(tx, sp, tx.now)
	d.Reason = reason
	summary := "Admission cancelled: " + reason
	if planned != "" {
		summary += "; the planned admission " + planned + " is pending again"
	}
	return tx.EmitData(&crs.Event{Type: crs.EventSpellAdmissionCancelled, PatientID: sp.PatientID, SubjectID: sp.ID, Summary: summary}, "admission cancelled", d)
}

// cancelPatientTransfer undoes the last transfer within a command (A12).
func cancelPatientTransfer(tx *Tx, spellID, reason string) error {
	sp, err := inSpell(tx, spellID)
	if err != nil {
		return err
	}
	stayID, seq, _, _, err := lastStay(tx, sp.ID)
	if err != nil {
		return err
	}
	if seq < 2 {
		return crs.Errorf(crs.ECONFLICT, "the patient has not been transferred in this spell")
	}
	var prevID, prevWard, prevBed string
	if err := tx.QueryRow(`SELECT id, ward_id, bed_id FROM bed_stays WHERE spell_id = $1 AND cancelled = 0 AND seq < $2 ORDER BY seq DESC LIMIT 1`, sp.ID, seq).Scan(&prevID, &prevWard, &prevBed); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE bed_stays SET is_current = 0, cancelled = 1 WHERE id = $1`, stayID); err != nil {
		return err
	}
	if err := bedFree(tx, prevBed); crs.ErrorCode(err) == crs.ECONFLICT {
		return crs.Errorf(crs.ECONFLICT, "the transfer cannot be cancelled: bed %s has since been taken", locationCode(tx, prevBed))
	} else if err != nil {
		return err // a failure to read (on PostgreSQL a deadlock, run again), not a bed taken
	}
	if _, err := tx.Exec(`UPDATE bed_stays SET end_at = '', is_current = 1 WHERE id = $1`, prevID); err != nil {
		return bedConflict(tx, err, prevBed)
	}
	fromWard, fromBed := sp.WardID, sp.BedID
	sp.WardID, sp.BedID = prevWard, prevBed
	if _, err := tx.Exec(`UPDATE spells SET ward_id = $1, bed_id = $2, updated_at = $3 WHERE id = $4`, prevWard, prevBed, formatTime(tx.now), sp.ID); err != nil {
		return err
	}
	d := spellData(tx, sp, tx.now)
	d.PriorWardCode, d.PriorBayCode, d.PriorBedCode, d.Reason = locationCode(tx, fromWard), bayCode(tx, fromBed), locationCode(tx, fromBed), reason
	return tx.EmitData(&crs.Event{Type: crs.EventSpellTransferCancelled, PatientID: sp.PatientID, SubjectID: sp.ID,
		Summary: fmt.Sprintf("Transfer to %s %s cancelled; back in %s %s", d.PriorWardCode, d.PriorBedCode, d.WardCode, d.BedCode)}, "transfer cancelled", d)
}

// cancelPatientDischarge undoes a discharge within a command (A13): the
// patient is back in the bed they left, if it is still free.
func cancelPatientDischarge(tx *Tx, spellID, reason string) error {
	sp, err := getSpell(tx, spellID)
	if err != nil {
		return err
	}
	if sp.Status != crs.SpellDischarged {
		return crs.Errorf(crs.ECONFLICT, "the patient has not been discharged")
	}
	var open int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM spells WHERE org_id = $1 AND patient_id = $2 AND status IN ('admitted', 'on_leave')`, tx.actor.OrgID, sp.PatientID).Scan(&open); err != nil {
		return err
	}
	if open > 0 {
		return crs.Errorf(crs.ECONFLICT, "the patient has been admitted again since")
	}
	stayID, _, _, bed, err := lastStay(tx, sp.ID)
	if err != nil {
		return err
	}
	if err := bedFree(tx, bed); crs.ErrorCode(err) == crs.ECONFLICT {
		return crs.Errorf(crs.ECONFLICT, "bed %s has since been taken; cancel the discharge to another bed by admitting again", locationCode(tx, bed))
	} else if err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE bed_stays SET end_at = '', is_current = 1 WHERE id = $1`, stayID); err != nil {
		return bedConflict(tx, err, bed)
	}
	if _, err := tx.Exec(`UPDATE episodes SET end_at = '' WHERE spell_id = $1 AND seq = (SELECT MAX(seq) FROM episodes WHERE spell_id = $1)`, sp.ID); err != nil {
		return err
	}
	sp.Status, sp.DischargedAt, sp.DischargeMethod, sp.DischargeDestination = crs.SpellAdmitted, time.Time{}, "", ""
	if _, err := tx.Exec(`UPDATE spells SET status = 'admitted', discharged_at = '', discharge_method = '', discharge_destination = '', updated_at = $1 WHERE id = $2`,
		formatTime(tx.now), sp.ID); err != nil {
		return err
	}
	if err := removeRTTEvents(tx, sp.PathwayID, sp.ID, rtt.KindPatientDied); err != nil {
		return err
	}
	if sp.EntryID != "" {
		var refID string
		if err := tx.QueryRow(`SELECT referral_id FROM waiting_list_entries WHERE id = $1`, sp.EntryID).Scan(&refID); err != nil {
			return err
		}
		if refID != "" {
			if _, err := tx.Exec(`UPDATE referrals SET status = 'open', worklist = '', follow_up_due = '', closed_on = '', closed_reason = '', updated_at = $1 WHERE id = $2`, formatTime(tx.now), refID); err != nil {
				return err
			}
		}
	}
	d := spellData(tx, sp, tx.now)
	d.Reason = reason
	return tx.EmitData(&crs.Event{Type: crs.EventSpellDischargeCancelled, PatientID: sp.PatientID, SubjectID: sp.ID, Summary: "Discharge cancelled: " + reason}, "discharge cancelled", d)
}
