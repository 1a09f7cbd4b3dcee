package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/opencrs/crs"
)

// patientActivity names, for the tables of patientTables a record's
// activity is found in, what a row of it is to the patient, for the
// refusal of a delete: a record with any of them is not a registration
// made in error, and is merged instead. Each is read by its index of
// the patient's rows. The rows of rtt_events, tci_offers, episodes,
// bed_stays and census belong to a pathway, a waiting list entry or a
// spell, so a record with none of those has none of them (and their
// foreign keys would refuse the delete were one left); patient_xrefs,
// another system's number for the patient, goes with the record.
var patientActivity = []struct{ table, what string }{
	{"referrals", "a referral"}, {"pathways", "an RTT pathway"}, {"appointments", "an appointment"},
	{"waiting_list_entries", "a waiting list entry"}, {"spells", "a hospital spell"}, {"ed_attendances", "an A&E attendance"},
	{"preadmissions", "a pre-admission"}, {"results", "a result"}, {"clinical_documents", "a clinical document"},
	{"data_quality_issues", "a message's data quality issue"}, {"diagnostic_requests", "a diagnostic request"},
	{"patient_seals", "a seal on the record"},
}

// DeletePatient deletes a registration made in error.
func (tx *Tx) DeletePatient(id, reason string) error { return deletePatient(tx, id, reason) }

// DeletePatient deletes a registration made in error.
func (s *PatientService) DeletePatient(ctx context.Context, a crs.Actor, id, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActMergePatients, func(tx *Tx) error { return deletePatient(tx, id, reason) })
}

// deletePatient deletes, within a command, a patient's record registered
// in error: one with no activity (no referral, appointment, spell,
// attendance, result, document or resource of the clinical record), not
// merged and with no record merged into it. Its row and identifiers go,
// so its NHS number is free again; its hospital number is never given
// again; its history, audit and messages stay, and the deletion is the
// last version of its history (EventPatientDeleted). A record with
// activity is refused (ECONFLICT), naming the activity: a duplicate with
// activity is merged into the record that stays.
func deletePatient(tx *Tx, id, reason string) error {
	p, err := getPatient(tx, id)
	if err != nil {
		return err
	}
	refuse := func(what string) error {
		return crs.Errorf(crs.ECONFLICT, "hospital number %s %s, so it is not deleted: only a registration made in error with no activity is; merge a duplicate into the record that stays", p.MRN, what)
	}
	if p.Merged() {
		return refuse("was merged into another record")
	}
	var mrn string
	switch err := tx.QueryRow(`SELECT mrn FROM patients WHERE org_id = $1 AND merged_into = $2 LIMIT 1`, tx.actor.OrgID, id).Scan(&mrn); {
	case err == nil:
		return refuse("has hospital number " + mrn + " merged into it")
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	activity := patientActivity
	var loaded string
	if err := tx.QueryRow(`SELECT load_audit_id FROM patients WHERE id = $1 AND org_id = $2`, id, tx.actor.OrgID).Scan(&loaded); err != nil {
		return err
	}
	if loaded != "" {
		// A record a load brought: from the legacy PAS, its rows are
		// the migration's record, which a reconciliation reads.
		activity = append(activity[:len(activity):len(activity)], struct{ table, what string }{"migrated_rows", "rows loaded from the legacy PAS"})
	}
	for _, a := range activity {
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM `+a.table+` WHERE patient_id = $1 AND org_id = $2 LIMIT 1) AS t`, id, tx.actor.OrgID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return refuse("has " + a.what)
		}
	}
	// The types of the first resources of the clinical record naming the
	// patient, read through fhir_current_patient (its condition stated,
	// so that both engines see it serves the query).
	var types []string
	rows, err := tx.Query(`SELECT type FROM fhir_current WHERE org_id = $1 AND patient_id = $2 AND patient_id <> ''
		AND deleted = 0 AND type <> 'Patient' LIMIT 200`, tx.actor.OrgID, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(types) > 0 {
		slices.Sort(types)
		return refuse("has resources of the clinical record (" + strings.Join(types, ", ") + ")")
	}
	for _, q := range []string{
		`DELETE FROM patient_xrefs WHERE patient_id = $1 AND org_id = $2`,
		`DELETE FROM patient_identifiers WHERE patient_id = $1 AND org_id = $2`,
		`DELETE FROM patients WHERE id = $1 AND org_id = $2`,
	} {
		if _, err := tx.Exec(q, id, tx.actor.OrgID); err != nil {
			return err
		}
	}
	p.Version, p.UpdatedAt = p.Version+1, tx.now
	summary := "Deleted: registered in error"
	if reason != "" {
		summary += " (" + reason + ")"
	}
	return tx.EmitData(&crs.Event{Type: crs.EventPatientDeleted, PatientID: id, SubjectID: id, Summary: summary},
		"deletion", patientEventData{Patient: p, Reason: reason})
}

// PatientIDUsed reports whether a record of any trust holds id (the ids
// of patients are one key).
func (tx *Tx) PatientIDUsed(id string) (bool, error) {
	var n int
	err := tx.QueryRow(`SELECT COUNT(*) FROM patients WHERE id = $1`, id).Scan(&n)
	return n > 0, err
}

// RegisterPatientAgain registers p again under the id of the trust's
// record deleted with it, its history continued: the registration is the
// version after the deletion. ENOTFOUND when the trust deleted no record
// with the id.
func (tx *Tx) RegisterPatientAgain(p *crs.Patient) error {
	var data string
	err := tx.QueryRow(`SELECT data FROM events WHERE org_id = $1 AND patient_id = $2 AND type = '`+crs.EventPatientDeleted+`' ORDER BY id DESC LIMIT 1`,
		tx.actor.OrgID, p.ID).Scan(&data)
	if err != nil {
		return notFound(err, "Patient/%s: no record with the id was deleted", p.ID)
	}
	var d patientEventData
	if err := json.Unmarshal([]byte(data), &d); err != nil || d.Patient == nil {
		return crs.Errorf(crs.EINTERNAL, "read the deletion of patient %s: %v", p.ID, err)
	}
	return insertPatientAt(tx, p, d.Patient.Version+1)
}
