package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// Planned admissions (pre-admissions) over SQL. The commands are package
// funcs that take the command's *Tx, for the HL7 inbound interface and the
// waiting list, with InpatientService methods over them for the pages.

const preadmissionColumns = `id, org_id, patient_id, entry_id, visit_number, expected_on, expected_at, ward_id, ward_code, consultant_code,
	admission_method, patient_class, treatment_function, source_visit, source_facility, status, spell_id, cancel_reason, created_at, updated_at`

func scanPreadmission(r scanner) (*crs.Preadmission, error) {
	var p crs.Preadmission
	var on, at, created, updated string
	if err := r.Scan(&p.ID, &p.OrgID, &p.PatientID, &p.EntryID, &p.VisitNumber, &on, &at, &p.WardID, &p.WardCode, &p.ConsultantCode,
		&p.AdmissionMethod, &p.PatientClass, &p.TreatmentFunction, &p.SourceVisit, &p.SourceFacility, &p.Status, &p.SpellID, &p.CancelReason,
		&created, &updated); err != nil {
		return nil, notFound(err, "no such planned admission")
	}
	p.ExpectedOn, p.ExpectedAt, p.CreatedAt, p.UpdatedAt = parseDate(on), parseTime(at), parseTime(created), parseTime(updated)
	return &p, nil
}

func getPreadmission(tx *Tx, id string) (*crs.Preadmission, error) {
	return scanPreadmission(tx.QueryRow(`SELECT `+preadmissionColumns+` FROM preadmissions WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID))
}

// pendingPreadmission reads a planned admission the patient has not yet
// come in for.
func pendingPreadmission(tx *Tx, id string) (*crs.Preadmission, error) {
	p, err := getPreadmission(tx, id)
	if err != nil {
		return nil, err
	}
	if p.Status != crs.PreadmissionPending {
		return nil, crs.Errorf(crs.ECONFLICT, "the planned admission %s is %s, not pending", p.VisitNumber, p.Status)
	}
	return p, nil
}

// entryPreadmission returns the pending planned admission of a waiting
// list entry's agreed TCI, or nil if it has none.
func entryPreadmission(tx *Tx, entryID string) (*crs.Preadmission, error) {
	p, err := scanPreadmission(tx.QueryRow(`SELECT `+preadmissionColumns+` FROM preadmissions WHERE org_id = $1 AND entry_id = $2 AND status = 'pending'
		ORDER BY created_at DESC, id DESC LIMIT 1`, tx.actor.OrgID, entryID))
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, nil
	}
	return p, err
}

// nextVisitNumber allocates the trust's next visit number from the
// counter 'visit', which only goes up.
func nextVisitNumber(tx *Tx) (string, error) {
	n, err := tx.allocate(tx.actor.OrgID, "visit", 1)
	if err != nil {
		return "", crs.Errorf(crs.EINTERNAL, "allocate visit number: %w", err)
	}
	return crs.VisitNumberFormat(n), nil
}

// preadmissionData is the Data of a pre-admission event.
func preadmissionData(tx *Tx, p *crs.Preadmission) crs.SpellEventData {
	d := crs.SpellEventData{PatientID: p.PatientID, PreadmissionID: p.ID, SpellID: p.SpellID, VisitNumber: p.VisitNumber, Status: p.Status,
		AdmissionMethod: p.AdmissionMethod, PatientClass: p.PatientClass, WardCode: p.WardCode, ConsultantCode: p.ConsultantCode,
		TreatmentFunction: p.TreatmentFunction, At: tx.now, ExpectedOn: p.ExpectedOn, ExpectedAt: p.ExpectedAt, Reason: p.CancelReason}
	if p.EntryID != "" {
		_ = tx.QueryRow(`SELECT pathway_id FROM waiting_list_entries WHERE id = $1 AND org_id = $2`, p.EntryID, tx.actor.OrgID).Scan(&d.PathwayID)
	}
	return d
}

// preadmissionSummary is the history line of a planned admission.
func preadmissionSummary(p *crs.Preadmission) string {
	s := fmt.Sprintf("visit %s, expected %s", p.VisitNumber, p.Expected())
	if p.WardCode != "" {
		s += " on " + p.WardCode
	}
	if p.ConsultantCode != "" {
		s += " under " + p.ConsultantCode
	}
	return s
}

// checkPreadmission normalizes and validates a planned admission and
// finds its ward: the ward of the trust WardID names, or else the one
// with the code WardCode; a code no ward of the trust has is kept as
// given, for the bed manager to resolve at admission.
func checkPreadmission(tx *Tx, p *crs.Preadmission) error {
	p.ConsultantCode = strings.ToUpper(strings.TrimSpace(p.ConsultantCode))
	p.WardCode = strings.TrimSpace(p.WardCode)
	p.Normalize()
	if err := p.Validate(); err != nil {
		return err
	}
	if err := livePatient(tx, p.PatientID); err != nil {
		return err
	}
	switch {
	case p.WardID != "":
		if err := checkPlace(tx, p.WardID, ""); err != nil {
			return err
		}
		p.WardCode = locationCode(tx, p.WardID)
	case p.WardCode != "":
		if id, err := findWardByCode(tx, p.WardCode); err == nil {
			p.WardID = id
		} else if crs.ErrorCode(err) != crs.ENOTFOUND {
			return err
		}
	}
	if p.EntryID != "" {
		e, err := liveEntry(tx, p.EntryID)
		if err != nil {
			return err
		}
		if e.PatientID != p.PatientID {
			return crs.FieldErrorf("patient", "the waiting list entry is another patient's")
		}
	}
	return nil
}

// recordPreadmission records a planned admission within a command and
// gives it the trust's next visit number (HL7 A05 goes to the feeds).
func recordPreadmission(tx *Tx, p *crs.Preadmission) error {
	if err := checkPreadmission(tx, p); err != nil {
		return err
	}
	n, err := nextVisitNumber(tx)
	if err != nil {
		return err
	}
	p.ID, p.OrgID, p.VisitNumber, p.Status, p.SpellID, p.CancelReason = crs.NewID(), tx.actor.OrgID, n, crs.PreadmissionPending, "", ""
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	if _, err := tx.Exec(`INSERT INTO preadmissions (id, org_id, patient_id, entry_id, visit_number, expected_on, expected_at, ward_id, ward_code,
		consultant_code, admission_method, patient_class, treatment_function, source_visit, source_facility, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending', $16, $16)`,
		p.ID, p.OrgID, p.PatientID, p.EntryID, p.VisitNumber, dateText(p.ExpectedOn), formatTime(p.ExpectedAt), p.WardID, p.WardCode,
		p.ConsultantCode, p.AdmissionMethod, p.PatientClass, p.TreatmentFunction, p.SourceVisit, p.SourceFacility, formatTime(tx.now)); err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventPreadmissionRecorded, PatientID: p.PatientID, SubjectID: p.ID,
		Summary: "Planned admission: " + preadmissionSummary(p)}, "pre-admission", preadmissionData(tx, p))
}

// updatePreadmission records the changed details of a pending planned
// admission within a command (an A05 sent again for the same visit, or
// another TCI date agreed); the visit number stays.
func updatePreadmission(tx *Tx, p *crs.Preadmission) error {
	prev, err := pendingPreadmission(tx, p.ID)
	if err != nil {
		return err
	}
	if p.PatientID != prev.PatientID {
		return crs.FieldErrorf("patient", "the planned admission is another patient's")
	}
	if p.EntryID == "" {
		p.EntryID = prev.EntryID
	}
	if err := checkPreadmission(tx, p); err != nil {
		return err
	}
	p.OrgID, p.VisitNumber, p.Status, p.SpellID, p.CreatedAt, p.UpdatedAt = prev.OrgID, prev.VisitNumber, prev.Status, "", prev.CreatedAt, tx.now
	if _, err := tx.Exec(`UPDATE preadmissions SET entry_id = $1, expected_on = $2, expected_at = $3, ward_id = $4, ward_code = $5, consultant_code = $6,
		admission_method = $7, patient_class = $8, treatment_function = $9, source_visit = $10, source_facility = $11, updated_at = $12
		WHERE id = $13 AND org_id = $14`,
		p.EntryID, dateText(p.ExpectedOn), formatTime(p.ExpectedAt), p.WardID, p.WardCode, p.ConsultantCode, p.AdmissionMethod, p.PatientClass,
		p.TreatmentFunction, p.SourceVisit, p.SourceFacility, formatTime(tx.now), p.ID, tx.actor.OrgID); err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventPreadmissionUpdated, PatientID: p.PatientID, SubjectID: p.ID,
		Summary: "Planned admission changed: " + preadmissionSummary(p)}, "pre-admission", preadmissionData(tx, p))
}

// cancelPreadmissionByID cancels a pending planned admission within a
// command (HL7 A38 goes to the feeds). One made from an agreed TCI
// takes the TCI date off the waiting list entry, which stays on the list.
func cancelPreadmissionByID(tx *Tx, id, reason string) error {
	p, err := pendingPreadmission(tx, id)
	if err != nil {
		return err
	}
	return cancelPreadmission(tx, p, reason, true)
}

func cancelPreadmission(tx *Tx, p *crs.Preadmission, reason string, clearTCI bool) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return crs.FieldErrorf("reason", "say why the planned admission is cancelled")
	}
	p.Status, p.CancelReason, p.UpdatedAt = crs.PreadmissionCancelled, reason, tx.now
	if _, err := tx.Exec(`UPDATE preadmissions SET status = 'cancelled', cancel_reason = $1, updated_at = $2 WHERE id = $3 AND org_id = $4`,
		reason, formatTime(tx.now), p.ID, tx.actor.OrgID); err != nil {
		return err
	}
	if clearTCI && p.EntryID != "" {
		e, err := getEntry(tx, p.EntryID)
		if err != nil {
			return err
		}
		if (e.Status == crs.ListWaiting || e.Status == crs.ListSuspended) && !e.TCIDate.IsZero() {
			if _, err := tx.Exec(`UPDATE waiting_list_entries SET tci_date = '', updated_at = $1 WHERE id = $2`, formatTime(tx.now), e.ID); err != nil {
				return err
			}
			if err := refreshPathwayIf(tx, e.PathwayID); err != nil {
				return err
			}
			was := e.TCIDate
			e.TCIDate = crs.Date{}
			d := entryData(e)
			d.Reason = reason
			if err := tx.EmitData(&crs.Event{Type: crs.EventTCICancelled, PatientID: e.PatientID, SubjectID: e.ID,
				Summary: "TCI " + was.Display() + " cancelled: " + reason + "; still on the waiting list"}, "waiting list", d); err != nil {
				return err
			}
		}
	}
	return tx.EmitData(&crs.Event{Type: crs.EventPreadmissionCancelled, PatientID: p.PatientID, SubjectID: p.ID,
		Summary: fmt.Sprintf("Planned admission %s cancelled: %s", p.VisitNumber, reason)}, "pre-admission", preadmissionData(tx, p))
}

// fromPreadmission fills what an admission leaves empty from the planned
// admission it admits: the patient, method, class, consultant, treatment
// function, ward and, for an elective admission, the waiting list entry
// whose TCI it was.
func fromPreadmission(tx *Tx, ad *crs.Admission, p *crs.Preadmission) {
	ad.PatientID = p.PatientID
	if ad.Method == "" {
		ad.Method = p.AdmissionMethod
	}
	if ad.PatientClass == "" {
		ad.PatientClass = p.PatientClass
	}
	if ad.ConsultantCode == "" {
		ad.ConsultantCode = p.ConsultantCode
	}
	if ad.TreatmentFunction == "" {
		ad.TreatmentFunction = p.TreatmentFunction
	}
	if ad.WardID == "" {
		ad.WardID = p.WardID
	}
	if ad.EntryID == "" && p.EntryID != "" && crs.IsElectiveMethod(ad.Method) {
		var status string
		if err := tx.QueryRow(`SELECT status FROM waiting_list_entries WHERE id = $1 AND org_id = $2`, p.EntryID, tx.actor.OrgID).Scan(&status); err == nil &&
			(status == crs.ListWaiting || status == crs.ListSuspended) {
			ad.EntryID = p.EntryID
		}
	}
}

// preadmissionAdmitted marks a planned admission admitted as the spell.
func preadmissionAdmitted(tx *Tx, p *crs.Preadmission, sp *crs.Spell, at time.Time) error {
	p.Status, p.SpellID, p.UpdatedAt = crs.PreadmissionAdmitted, sp.ID, tx.now
	if _, err := tx.Exec(`UPDATE preadmissions SET status = 'admitted', spell_id = $1, updated_at = $2 WHERE id = $3 AND org_id = $4`,
		sp.ID, formatTime(tx.now), p.ID, tx.actor.OrgID); err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventPreadmissionAdmitted, PatientID: p.PatientID, SubjectID: p.ID, EffectiveAt: at,
		Summary: fmt.Sprintf("Planned admission %s: the patient was admitted", p.VisitNumber)}, "pre-admission", preadmissionData(tx, p))
}

// reopenPreadmission puts the planned admission a cancelled spell was
// admitted from back to pending, and reports its visit number ("" if
// the spell had none).
func reopenPreadmission(tx *Tx, spellID string) (string, error) {
	var id, visit string
	err := tx.QueryRow(`SELECT id, visit_number FROM preadmissions WHERE org_id = $1 AND spell_id = $2 AND status = 'admitted'`, tx.actor.OrgID, spellID).Scan(&id, &visit)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	_, err = tx.Exec(`UPDATE preadmissions SET status = 'pending', spell_id = '', updated_at = $1 WHERE id = $2`, formatTime(tx.now), id)
	return visit, err
}

// findPreadmissionByVisit returns the patient's latest planned admission
// that facility's visit number names, of any status; failing that, the
// one with the trust's own visit number.
func findPreadmissionByVisit(tx *Tx, patientID, facility, visit string) (*crs.Preadmission, error) {
	p, err := scanPreadmission(tx.QueryRow(`SELECT `+preadmissionColumns+` FROM preadmissions WHERE org_id = $1 AND patient_id = $2
		AND source_facility = $3 AND source_visit = $4 ORDER BY created_at DESC, id DESC LIMIT 1`, tx.actor.OrgID, patientID, facility, visit))
	if crs.ErrorCode(err) != crs.ENOTFOUND {
		return p, err
	}
	p, err = scanPreadmission(tx.QueryRow(`SELECT `+preadmissionColumns+` FROM preadmissions WHERE org_id = $1 AND patient_id = $2 AND visit_number = $3`,
		tx.actor.OrgID, patientID, visit))
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, crs.Errorf(crs.ENOTFOUND, "no planned admission of this patient has visit number %s", visit)
	}
	return p, err
}

// pendingPreadmissions lists the patient's planned admissions not yet
// admitted or cancelled, earliest expected first.
func pendingPreadmissions(tx *Tx, patientID string) ([]*crs.Preadmission, error) {
	return queryRows(tx.ctx, tx, scanPreadmission, `SELECT `+preadmissionColumns+` FROM preadmissions WHERE org_id = $1 AND patient_id = $2 AND status = 'pending'
		ORDER BY expected_on, id`, tx.actor.OrgID, patientID)
}

// recordPreadmission records a planned admission.
func (s *InpatientService) RecordPreadmission(ctx context.Context, a crs.Actor, p *crs.Preadmission) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return recordPreadmission(tx, p) })
}

// cancelPreadmissionByID cancels a pending planned admission.
func (s *InpatientService) CancelPreadmission(ctx context.Context, a crs.Actor, id, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return cancelPreadmissionByID(tx, id, reason) })
}

// FindPreadmission returns a planned admission.
func (s *InpatientService) FindPreadmission(ctx context.Context, a crs.Actor, id string) (*crs.Preadmission, error) {
	var p *crs.Preadmission
	err := s.db.view(ctx, a, crs.ActViewDemographics, "planned admission", func(q Querier) (string, error) {
		var err error
		p, err = scanPreadmission(q.QueryRowContext(ctx, `SELECT `+preadmissionColumns+` FROM preadmissions WHERE id = $1 AND org_id = $2`, id, a.OrgID))
		if err != nil {
			return "", err
		}
		return p.PatientID, nil
	})
	return p, err
}

// FindPreadmissions lists a patient's planned admissions: pending ones
// first, earliest expected first, then the rest, latest first.
func (s *InpatientService) FindPreadmissions(ctx context.Context, a crs.Actor, patientID string) ([]*crs.Preadmission, error) {
	var out []*crs.Preadmission
	err := s.db.View(ctx, a, crs.ActViewDemographics, patientID, "planned admissions", func(q Querier) error {
		var err error
		out, err = queryRows(ctx, q, scanPreadmission, `SELECT `+preadmissionColumns+` FROM preadmissions WHERE patient_id = $1 AND org_id = $2
			ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END, CASE WHEN status = 'pending' THEN expected_on ELSE '' END, created_at DESC, id DESC`, patientID, a.OrgID)
		return err
	})
	return out, err
}
