package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opencrs/crs"
)

// The unit of work of package crs, as this package implements it: a *Tx
// is the crs.Tx of a command, and a *DB the crs.Store of the edges. The
// work is done by the package funcs that take the tx, which the
// services of this package share.
var (
	_ crs.Tx         = (*Tx)(nil)
	_ crs.Store      = (*DB)(nil)
	_ crs.BulkLoader = (*DB)(nil)
)

// writeTx is Write for the store's own commands, which work on the
// *Tx the committer hands every command.
func (db *DB) writeTx(ctx context.Context, a crs.Actor, act crs.Activity, fn func(*Tx) error) error {
	return db.Write(ctx, a, act, func(t crs.Tx) error { return fn(t.(*Tx)) })
}

// Actor is who the command acts for.
func (tx *Tx) Actor() crs.Actor { return tx.actor }

// Now is the time the command is applied at.
func (tx *Tx) Now() time.Time { return tx.now }

// LastEventID returns the id of the last event the command appended that
// changed a record, or "".
func (tx *Tx) LastEventID() string { return lastEventID(tx) }

// ActAs runs fn with a as the command's actor, then restores its own.
func (tx *Tx) ActAs(a crs.Actor, fn func() error) error { return actAs(tx, a, fn) }

// TrustODS returns the ODS code of the actor's trust.
func (tx *Tx) TrustODS() (string, error) { return odsCode(tx.ctx, tx, tx.actor.OrgID) }

// FindPatientByIdentifier finds the live patient holding an NHS number
// or hospital number, following merges.
func (tx *Tx) FindPatientByIdentifier(kind, value string) (*crs.Patient, error) {
	return findPatientByIdentifierTx(tx, kind, value)
}

// GetPatient reads one patient of the trust.
func (tx *Tx) GetPatient(id string) (*crs.Patient, error) { return getPatient(tx, id) }

// InsertPatient registers a new patient.
func (tx *Tx) InsertPatient(p *crs.Patient) error { return insertPatient(tx, p) }

// UpdatePatient records changed demographics.
func (tx *Tx) UpdatePatient(p *crs.Patient) error { return updatePatient(tx, p) }

// MergePatients merges the minor record into the major.
func (tx *Tx) MergePatients(majorID, minorID, reason string) error {
	return mergePatients(tx, majorID, minorID, reason)
}

// FindWardByCode returns the id of the trust's ward with the code.
func (tx *Tx) FindWardByCode(code string) (string, error) { return findWardByCode(tx, code) }

// FindBedByCode returns the id of the bed with the code on the ward.
func (tx *Tx) FindBedByCode(wardID, bay, code string) (string, error) {
	return findBedByCode(tx, wardID, bay, code)
}

// CurrentSpell returns the patient's open spell.
func (tx *Tx) CurrentSpell(patientID string) (*crs.Spell, error) { return currentSpell(tx, patientID) }

// LatestSpell returns the patient's most recent spell.
func (tx *Tx) LatestSpell(patientID string) (*crs.Spell, error) { return latestSpell(tx, patientID) }

// FindSpellByVisitNumber returns the patient's spell that facility's
// visit number names.
func (tx *Tx) FindSpellByVisitNumber(patientID, facility, visit string) (*crs.Spell, error) {
	return findSpellByVisitNumber(tx, patientID, facility, visit)
}

// AdmitPatient admits a patient.
func (tx *Tx) AdmitPatient(ad *crs.Admission) (*crs.Spell, error) { return admitPatient(tx, ad) }

// RecordReferral records a referral within a command.
func (tx *Tx) RecordReferral(r *crs.Referral) error { return insertReferral(tx, r) }

// ReferralIDByUBRN returns the id of the trust's referral of a UBRN, read
// through the index that keeps UBRNs unique (as FindReferralByUBRN).
func (tx *Tx) ReferralIDByUBRN(ubrn string) (string, error) {
	var id string
	err := tx.QueryRow(`SELECT id FROM referrals WHERE ubrn = $1 AND ubrn <> '' AND org_id = $2`, ubrn, tx.actor.OrgID).Scan(&id)
	return id, notFound(err, "no referral has UBRN %s", ubrn)
}

// LinkVisitNumber records that facility's visit number names the spell.
func (tx *Tx) LinkVisitNumber(sp *crs.Spell, facility, visit string) error {
	return linkVisitNumber(tx, sp, facility, visit)
}

// TransferPatient moves an inpatient to another ward or bed.
func (tx *Tx) TransferPatient(spellID string, t crs.Transfer) error {
	return transferPatient(tx, spellID, t)
}

// DischargePatient ends the spell.
func (tx *Tx) DischargePatient(spellID string, d crs.Discharge) error {
	return dischargePatient(tx, spellID, d)
}

// CancelPatientAdmission undoes an admission entered in error.
func (tx *Tx) CancelPatientAdmission(spellID, reason string) error {
	return cancelPatientAdmission(tx, spellID, reason)
}

// CancelPatientTransfer undoes the spell's last transfer.
func (tx *Tx) CancelPatientTransfer(spellID, reason string) error {
	return cancelPatientTransfer(tx, spellID, reason)
}

// CancelPatientDischarge undoes a discharge.
func (tx *Tx) CancelPatientDischarge(spellID, reason string) error {
	return cancelPatientDischarge(tx, spellID, reason)
}

// StartPatientLeave records that the patient went on leave of absence.
func (tx *Tx) StartPatientLeave(spellID string, at time.Time) error {
	return patientLeave(tx, spellID, at, true)
}

// EndPatientLeave records the patient's return from leave.
func (tx *Tx) EndPatientLeave(spellID string, at time.Time) error {
	return patientLeave(tx, spellID, at, false)
}

// FindPreadmissionByVisit returns the patient's planned admission that
// facility's visit number names.
func (tx *Tx) FindPreadmissionByVisit(patientID, facility, visit string) (*crs.Preadmission, error) {
	return findPreadmissionByVisit(tx, patientID, facility, visit)
}

// PendingPreadmissions lists the patient's pending planned admissions.
func (tx *Tx) PendingPreadmissions(patientID string) ([]*crs.Preadmission, error) {
	return pendingPreadmissions(tx, patientID)
}

// RecordPreadmission records a planned admission.
func (tx *Tx) RecordPreadmission(p *crs.Preadmission) error { return recordPreadmission(tx, p) }

// UpdatePreadmission records the changed details of a planned admission.
func (tx *Tx) UpdatePreadmission(p *crs.Preadmission) error { return updatePreadmission(tx, p) }

// CancelPreadmission cancels a pending planned admission.
func (tx *Tx) CancelPreadmission(id, reason string) error {
	return cancelPreadmissionByID(tx, id, reason)
}

// ClaimInboundMessage claims the key of an inbound message for the log
// entry id (see claimInboundMessage).
func (tx *Tx) ClaimInboundMessage(id, controlID, key string) (string, bool, error) {
	return claimInboundMessage(tx, id, controlID, key)
}

// InsertInboundMessage logs an inbound message under its key.
func (tx *Tx) InsertInboundMessage(m *crs.Message, key string) error {
	return insertInboundMessage(tx, m, key)
}

// GetMessage returns one message of the trust's log.
func (tx *Tx) GetMessage(id string) (*crs.Message, error) { return getMessageTx(tx, id) }

// UpdateReprocessedMessage writes what became of a reprocessed message.
func (tx *Tx) UpdateReprocessedMessage(m *crs.Message) error { return updateReprocessedMessage(tx, m) }

// InsertInterface configures an inbound interface of the trust.
func (tx *Tx) InsertInterface(i *crs.Interface) error { return insertInterface(tx, i) }

// InsertDestination configures an outbound feed of the trust.
func (tx *Tx) InsertDestination(d *crs.Destination) error { return insertDestination(tx, d) }

// DestinationsForEvent lists the feeds an event of the command may go to.
func (tx *Tx) DestinationsForEvent() ([]*crs.Destination, error) { return destinationsForEvent(tx) }

// EnqueueMessage queues an outbound message in the command.
func (tx *Tx) EnqueueMessage(m *crs.Message) error { return enqueueMessage(tx, m) }

// Now is the time by the database's clock.
func (db *DB) Now() time.Time { return db.Clock.Now() }

// ODSCode returns the ODS code of an organisation by its id.
func (db *DB) ODSCode(ctx context.Context, orgID string) (string, error) {
	return odsCode(ctx, db.read, orgID)
}

// SubjectEvents lists the trust's events about one subject, newest first:
// those about something other than a patient through events_subject,
// and a patient's own (the subject is the patient) through
// events_patient, apart (as one query SQLite walked the trust's events).
func (db *DB) SubjectEvents(ctx context.Context, orgID, subjectID string) ([]*crs.Event, error) {
	out, err := FindEvents(ctx, db.read, orgID, subjectEventsWhere, subjectID)
	if err != nil {
		return nil, err
	}
	own, err := FindEvents(ctx, db.read, orgID, ownEventsWhere, subjectID)
	if len(own) == 0 || err != nil {
		return out, err
	}
	out = append(out, own...)
	slices.SortFunc(out, func(a, b *crs.Event) int { return strings.Compare(b.ID, a.ID) })
	return out, nil
}

// subjectEventsWhere and ownEventsWhere are SubjectEvents' conditions
// (FindEvents): the events about the subject that events_subject holds,
// and those of the patient the subject is.
var (
	subjectEventsWhere = "subject_id = $2 AND " + subjectIndexed("")
	ownEventsWhere     = "patient_id = $2 AND subject_id = $2"
)

// subjectIndexed is the condition of the events the subject index holds
// (events_subject, migration 0097): all but a patient's own, whose
// subject is the patient they name. A search by subject states it, on
// the events table named by prefix ("e." or ""), so that both engines
// see the index serves it.
func subjectIndexed(prefix string) string {
	return "(" + prefix + "subject_id <> " + prefix + "patient_id OR " + prefix + "patient_id = '')"
}

// censusTakenSQL counts the census events of a night ($2, "census:"
// and the date) of the trust: whether its census was taken.
var censusTakenSQL = `SELECT COUNT(*) FROM events WHERE org_id = $1 AND subject_id = $2 AND type = $3 AND ` + subjectIndexed("")
