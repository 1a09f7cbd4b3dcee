package store

import (
	"context"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/rtt"
)

// ProcedureNotCarriedOut records that the procedure of an admission for
// first definitive treatment was not carried out (s4.3.2.3).
func (s *InpatientService) ProcedureNotCarriedOut(ctx context.Context, a crs.Actor, spellID string, p crs.ProcedureNotDone) error {
	return s.db.writeTx(ctx, a, crs.ActManagePathways, func(tx *Tx) error { return procedureNotDone(tx, spellID, p) })
}

// procedureNotDone withdraws the clock stop of an admission whose
// procedure was not carried out and puts the patient back on the waiting
// list they were admitted from. The entry is restored, not replaced:
// the decision to admit still stands and the patient waits for the same
// procedure, so the entry keeps its decision date (the patient is not put
// back to the start of the list) and takes a new date to come in, as in
// the examples of s4.3.2.3.
func procedureNotDone(tx *Tx, spellID string, p crs.ProcedureNotDone) error {
	if err := p.Validate(); err != nil {
		return err
	}
	sp, err := getSpell(tx, spellID)
	if err != nil {
		return err
	}
	switch {
	case sp.Status == crs.SpellCancelled:
		return crs.Errorf(crs.ECONFLICT, "the admission was cancelled as entered in error")
	case sp.NotDoneReason != "":
		return crs.Errorf(crs.ECONFLICT, "the procedure is already recorded as not carried out (%s)", crs.NotDoneReasons[sp.NotDoneReason])
	case sp.PathwayID == "" || sp.EntryID == "":
		return crs.FieldErrorf("not_done_reason", "the admission was not from an RTT waiting list, so no clock stopped at it")
	case !sp.ForTreatment:
		return crs.FieldErrorf("not_done_reason", "the admission was for diagnostics only: it did not stop the clock and no procedure for first definitive treatment was intended")
	}
	if _, err := tx.Exec(`UPDATE spells SET for_treatment = 0, not_done_reason = $1, not_done_note = $2, updated_at = $3 WHERE id = $4 AND org_id = $5`,
		p.Reason, p.Note, formatTime(tx.now), sp.ID, tx.actor.OrgID); err != nil {
		return err
	}
	if _, err := tx.Exec(`UPDATE waiting_list_entries SET status = 'waiting', removal_reason = '', removed_on = '', tci_date = '', updated_at = $1
		WHERE id = $2 AND org_id = $3`, formatTime(tx.now), sp.EntryID, tx.actor.OrgID); err != nil {
		return err
	}
	if err := removeRTTEvents(tx, sp.PathwayID, sp.ID, rtt.KindAdmittedForTreatment); err != nil {
		return err
	}
	note := crs.NotDoneReasons[p.Reason]
	if p.Note != "" {
		note += ": " + p.Note
	}
	day := localDate(sp.AdmittedAt)
	if err := addRTTEvent(tx, sp.PathwayID, rtt.Event{Date: day.Time, Kind: rtt.KindAdmittedNotTreated, Ref: sp.ID, Note: note}, false); err != nil {
		return err
	}
	sp.ForTreatment, sp.NotDoneReason, sp.NotDoneNote = false, p.Reason, p.Note
	d := spellData(tx, sp, tx.now)
	d.Reason = note
	return tx.EmitData(&crs.Event{Type: crs.EventSpellUpdated, PatientID: sp.PatientID, SubjectID: sp.ID, EffectiveAt: sp.AdmittedAt,
		Summary: "Procedure not carried out (" + note + "); the RTT clock runs on and the patient is back on the waiting list"}, "procedure not carried out", d)
}
