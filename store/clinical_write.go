package store

import (
	"context"

	"github.com/opencrs/crs"
)

// The one rule of a write to a patient's clinical record: whatever the
// edge and whatever the command, a person may write to the clinical
// record only of a patient whose record they may read, by the same check
// a read passes (clinicalAccess: a legitimate relationship, a claim or
// break-glass still running, a sealed record opened). The changes that
// write the clinical record (PutResource of any resource but the Patient
// itself, InsertDocument, CancelDocument, and an A&E clinician's triage,
// seen and decision to admit) ask it of the patient they write for,
// inside the command's transaction, so no caller can leave it out; in
// A&E, staff assigned to the department are related to everyone in it. Systems (an interface, OpenCRS itself) need no relationship, as
// on reads; administrative changes (the patient index, the journey) keep
// the rule of their activity.

// clearClinicalWrite refuses the change to the patient's clinical record
// when the command's actor may not read it, with EFORBIDDEN saying why;
// the refusal is audited whatever becomes of the command. A patient let
// through once is not checked again in the same command.
func (tx *Tx) clearClinicalWrite(patientID string) error {
	a := tx.actor
	if patientID == "" || !a.Role.NeedsRelationship() {
		return nil
	}
	key := a.UserID + "\x00" + patientID
	if tx.cleared[key] {
		return nil
	}
	refusal, err := clinicalAccess(tx.ctx, tx, a, patientID, tx.now)
	if refusal != "" {
		tx.refusals = append(tx.refusals, &crs.AuditRecord{
			ID: crs.NewID(), OrgID: a.OrgID, At: tx.now, UserID: a.UserID, Username: a.Username, Role: a.Role,
			PatientID: patientID, Action: crs.AuditRefused, What: "write refused: " + refusal, Purpose: a.Purpose,
		})
	}
	if err != nil {
		return writeRefusal(err)
	}
	if tx.cleared == nil {
		tx.cleared = map[string]bool{}
	}
	tx.cleared[key] = true
	tx.related = append(tx.related, patientID)
	return nil
}

// writeRefusal is the error a refused clinical write answers with: the
// read's refusal (no relationship, a sealed record) said as EFORBIDDEN
// for a change, with what the writer can do about it.
func writeRefusal(err error) error {
	switch crs.ErrorCode(err) {
	case crs.ENORELATIONSHIP:
		return crs.Errorf(crs.EFORBIDDEN, "you cannot write to this patient's clinical record: %s. Claim a relationship or break the glass from their record first, giving your reason", crs.ErrorMessage(err))
	case crs.ESEALED:
		return crs.Errorf(crs.EFORBIDDEN, "you cannot write to this patient's clinical record: %s before writing to it", crs.ErrorMessage(err))
	case crs.EFORBIDDEN:
		return crs.Errorf(crs.EFORBIDDEN, "you cannot write to this patient's clinical record: %s", crs.ErrorMessage(err))
	}
	return err
}

// afterClinicalWrites runs when a command has ended, outside its
// transaction: it audits the clinical writes the command was refused,
// and, when it committed, raises the identity alerts on the patients it
// wrote for, as a read does.
func (db *DB) afterClinicalWrites(ctx context.Context, a crs.Actor, refusals []*crs.AuditRecord, related []string, committed bool) {
	for _, r := range refusals {
		db.queueAudit(r)
	}
	if !committed {
		return
	}
	for _, pid := range related {
		db.watchIdentity(ctx, a, pid)
	}
}
