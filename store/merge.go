package store

// Patient merge and unmerge: when two records turn out to be one person,
// the minor record's identifiers and everything linked to it move to the
// major; an unmerge moves back exactly what the merge moved.

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opencrs/crs"
	"github.com/opencrs/crs/nhs"
)

// patientTables are the tables whose rows belong to a patient through a
// patient_id column and go with the record: a merge moves their rows from
// the minor to the major, and an unmerge moves back exactly the rows the
// merge moved. The resource store's resources move by new versions
// (merge_resources.go). Every table with a patient_id column is here or in
// patientTablesLeftOut; TestPatientTablesListed fails on one in neither.
var patientTables = []string{
	"referrals", "pathways", "rtt_events", "appointments", "waiting_list_entries", "tci_offers",
	"spells", "episodes", "bed_stays", "census", "ed_attendances", "preadmissions", "results", "clinical_documents",
	"patient_xrefs", "data_quality_issues", "diagnostic_requests", "patient_seals",
}

// patientTablesLeftOut are the tables with a patient_id column that a
// merge deliberately leaves where they are, each with the reason.
var patientTablesLeftOut = map[string]string{
	"patient_identifiers": "the merge moves identifiers by their own rule: the minor's numbers are copied to the major with the record they came from, so an unmerge gives them back",
	"events":              "an event stays with the record it was written about; the merge appends its own events to both records",
	"audit":               "an audit record says whose record was accessed at the time and is never rewritten",
	"audit_listed":        "a patient listed is part of an audit record, which says whose record was listed at the time and is never rewritten",
	"audit_bulk_listed":   "a patient a bulk list named is part of its audit record, as in audit_listed",
	"hl7_messages":        "the message log keeps the record a message was applied to when it came in",
	"hl7_holds":           "a hold keeps the identifiers its message gave, and goes when the message is applied",
	"fhir_versions":       "a resource's past versions are history and are never rewritten",
	"fhir_current":        "a resource of the clinical record is not moved by its row: the merge gives each resource naming the minor a new version naming the major through the write path (merge_resources.go), its history keeping the old",
	"access_grants":       "access given with a reason was given to the record as it was, and is audit: it is never rewritten",
	"privacy_alerts":      "an alert says whose record was opened at the time, as the audit does",
	"rtt_clock_courses":   "a clock course row follows its pathway: writing each merged or unmerged record sets its pathways' courses from the pathways (syncCourseHeads)",
	"migrated_rows":       "a legacy row's record of its load names the patient it was loaded for; a reconciliation finds patients by their legacy number, which a merge moves",
}

type movedRow struct {
	Table string `json:"table"`
	ID    string `json:"id"`
}

// MergePatients merges the minor record into the major.
func (s *PatientService) MergePatients(ctx context.Context, a crs.Actor, majorID, minorID, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActMergePatients, func(tx *Tx) error { return mergePatients(tx, majorID, minorID, reason) })
}

// mergePatients merges within a command: the minor's identifiers and the
// rows linked to it move to the major, and the minor points to the major.
func mergePatients(tx *Tx, majorID, minorID, reason string) error {
	if majorID == minorID {
		return crs.Errorf(crs.EINVALID, "a record cannot be merged into itself")
	}
	// On PostgreSQL each read locks its record until the command ends:
	// a merge of the two records the other way round at the same moment
	// deadlocks with this one, and the one PostgreSQL fails is run again
	// (writePooled), so only a record truly missing is answered as such.
	major, err := getPatient(tx, majorID)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return crs.Errorf(crs.ENOTFOUND, "the record to keep was not found")
	} else if err != nil {
		return err
	}
	minor, err := getPatient(tx, minorID)
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return crs.Errorf(crs.ENOTFOUND, "the record to merge was not found")
	} else if err != nil {
		return err
	}
	if major.Merged() {
		return crs.Errorf(crs.ECONFLICT, "hospital number %s was itself merged into another record; merge into that one", major.MRN)
	}
	if minor.Merged() {
		return crs.Errorf(crs.ECONFLICT, "hospital number %s is already merged", minor.MRN)
	}
	if major.NHSNumber != "" && minor.NHSNumber != "" && major.NHSNumber != minor.NHSNumber && major.NHSNumberStatus == nhs.NumberVerified && minor.NHSNumberStatus == nhs.NumberVerified {
		return crs.Errorf(crs.ECONFLICT, "the records have different verified NHS numbers (%s and %s); they are different people",
			nhs.FormatNumber(major.NHSNumber), nhs.FormatNumber(minor.NHSNumber))
	}
	// The minor's identifiers move to the major.
	ids := [][2]string{{"mrn", minor.MRN}}
	if minor.NHSNumber != "" && minor.NHSNumber != major.NHSNumber {
		ids = append(ids, [2]string{"nhs", minor.NHSNumber})
	}
	for _, id := range ids {
		if _, err := tx.Exec(`INSERT INTO patient_identifiers (org_id, kind, value, patient_id, origin_patient_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
			tx.actor.OrgID, id[0], id[1], major.ID, minor.ID); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(`UPDATE patient_identifiers SET patient_id = $1 WHERE patient_id = $2 AND org_id = $3`, major.ID, minor.ID, tx.actor.OrgID); err != nil {
		return err
	}
	var moved []movedRow
	for _, table := range patientTables {
		ids, err := queryRows(tx.ctx, tx, scanString, `SELECT id FROM `+table+` WHERE patient_id = $1 AND org_id = $2`, minor.ID, tx.actor.OrgID)
		if err != nil {
			return err
		}
		for _, id := range ids {
			moved = append(moved, movedRow{table, id})
		}
		if _, err := tx.Exec(`UPDATE `+table+` SET patient_id = $1 WHERE patient_id = $2 AND org_id = $3`, major.ID, minor.ID, tx.actor.OrgID); err != nil {
			return err
		}
	}
	// The clinical record in the resource store follows: each resource
	// naming the minor gets a new version naming the major.
	refer, err := resourcesReferring(tx, minor.ID)
	if err != nil {
		return err
	}
	resources, err := moveResources(tx, refer, minor.ID, major.ID)
	if err != nil {
		return err
	}
	adopted := major.NHSNumber == "" && minor.NHSNumber != ""
	if adopted {
		// The kept record takes the NHS number from the merged one, as
		// its live holder: as every command that gives a live patient a
		// number, the merge waits for those giving it at the same time.
		if err := lockNHS(tx, minor.NHSNumber); err != nil {
			return err
		}
		major.NHSNumber, major.NHSNumberStatus = minor.NHSNumber, minor.NHSNumberStatus
	}
	minor.MergedInto = major.ID
	minor.Version, minor.UpdatedAt = minor.Version+1, tx.now
	if err := writePatient(tx, minor); err != nil {
		return err
	}
	major.Version, major.UpdatedAt = major.Version+1, tx.now
	if err := writePatient(tx, major); err != nil {
		return err
	}
	data := patientEventData{Patient: major, Minor: minor, Moved: moved, Reason: reason, AdoptedNHS: adopted}
	ev := &crs.Event{Type: crs.EventPatientMerged, PatientID: major.ID, SubjectID: major.ID,
		Summary: fmt.Sprintf("Hospital number %s merged into this record", minor.MRN)}
	if err := tx.EmitData(ev, "merge", data); err != nil {
		return err
	}
	if err := recordMergedResources(tx, ev.ID, resources); err != nil {
		return err
	}
	// The minor's own history records the merge too, without repeating
	// the outbound message (subscribers key on the major's event).
	return tx.EmitData(&crs.Event{Type: crs.EventPatientMerged + ".minor", PatientID: minor.ID, SubjectID: minor.ID,
		Summary: fmt.Sprintf("Merged into hospital number %s", major.MRN)}, "merge", patientEventData{Patient: minor, Reason: reason})
}

// UnmergePatient reverses the merge of the minor record.
func (s *PatientService) UnmergePatient(ctx context.Context, a crs.Actor, minorID, reason string) error {
	return s.db.writeTx(ctx, a, crs.ActMergePatients, func(tx *Tx) error {
		minor, err := getPatient(tx, minorID)
		if err != nil {
			return err
		}
		if !minor.Merged() {
			return crs.Errorf(crs.ECONFLICT, "hospital number %s is not merged", minor.MRN)
		}
		major, err := getPatient(tx, minor.MergedInto)
		if err != nil {
			return err
		}
		// Find the merge to undo: the latest merge event of this minor.
		var mergeID, raw string
		err = tx.QueryRow(`SELECT id, data FROM events WHERE org_id = $1 AND patient_id = $2 AND type = $3 AND data LIKE $4 ORDER BY id DESC LIMIT 1`,
			tx.actor.OrgID, major.ID, crs.EventPatientMerged, `%"`+minor.ID+`"%`).Scan(&mergeID, &raw)
		if err != nil {
			return notFound(err, "the merge of hospital number %s could not be found in the record's history", minor.MRN)
		}
		var merged patientEventData
		if err := json.Unmarshal([]byte(raw), &merged); err != nil {
			return crs.Errorf(crs.EINTERNAL, "read merge event: %w", err)
		}
		if err := unmergeHolder(tx, minor, major, merged.AdoptedNHS); err != nil {
			return err
		}
		for _, m := range merged.Moved {
			if _, err := tx.Exec(`UPDATE `+m.Table+` SET patient_id = $1 WHERE id = $2 AND patient_id = $3 AND org_id = $4`, minor.ID, m.ID, major.ID, tx.actor.OrgID); err != nil {
				return err
			}
		}
		// The resources the merge moved go back; what was recorded on
		// the major since stays.
		resources, err := mergedResources(tx, mergeID)
		if err != nil {
			return err
		}
		if _, err := moveResources(tx, resources, major.ID, minor.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM patient_identifiers WHERE org_id = $1 AND origin_patient_id = $2 AND patient_id = $3 AND ((kind = 'mrn' AND value = $4) OR (kind = 'nhs' AND value = $5))`,
			tx.actor.OrgID, minor.ID, major.ID, minor.MRN, minor.NHSNumber); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE patient_identifiers SET patient_id = $1 WHERE origin_patient_id = $1 AND patient_id = $2 AND org_id = $3`, minor.ID, major.ID, tx.actor.OrgID); err != nil {
			return err
		}
		if merged.AdoptedNHS && major.NHSNumber == minor.NHSNumber {
			major.NHSNumber, major.NHSNumberStatus = "", nhs.NumberTraceRequired
			major.Version, major.UpdatedAt = major.Version+1, tx.now
			if err := writePatient(tx, major); err != nil {
				return err
			}
		}
		minor.MergedInto = ""
		minor.Version, minor.UpdatedAt = minor.Version+1, tx.now
		if err := writePatient(tx, minor); err != nil {
			return err
		}
		if err := tx.EmitData(&crs.Event{Type: crs.EventPatientUnmerged, PatientID: major.ID, SubjectID: major.ID,
			Summary: fmt.Sprintf("Hospital number %s unmerged from this record", minor.MRN)}, "unmerge", patientEventData{Patient: major, Minor: minor, Reason: reason}); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventPatientUnmerged + ".minor", PatientID: minor.ID, SubjectID: minor.ID,
			Summary: fmt.Sprintf("Unmerged from hospital number %s", major.MRN)}, "unmerge", patientEventData{Patient: minor, Reason: reason})
	})
}

// unmergeHolder checks, within an unmerge, that the record unmerged
// (minor) can be live again holding its NHS number: a record merged into
// another holds its number without being its live holder, so the number
// may have been registered, or given by a change of demographics, to
// another patient meanwhile, and unmerged it would make two live records
// of one NHS number. The unmerge is then refused, naming that patient,
// and the merge stands. The major, when it took the number from the
// minor in the merge (adopted), gives it back and is no other holder.
// From here to its commit the unmerge holds the number's lock (lockNHS):
// a registration or change of demographics giving the number at the same
// time waits for it, and then finds the record unmerged.
func unmergeHolder(tx *Tx, minor, major *crs.Patient, adopted bool) error {
	if minor.NHSNumber == "" {
		return nil
	}
	if err := lockNHS(tx, minor.NHSNumber); err != nil {
		return err
	}
	other, found, err := nhsHolder(tx, minor.OrgID, minor.NHSNumber, minor.ID)
	if err != nil || !found || adopted && other == major.MRN && major.NHSNumber == minor.NHSNumber {
		return err
	}
	held := nhsHeld(minor.NHSNumber, other)
	held.Message += fmt.Sprintf(", and unmerged, hospital number %s would hold it too: correct the NHS number of hospital number %s first, "+
		"and if the two are one person, merge them once hospital number %s is unmerged; hospital number %s stays merged into hospital number %s",
		minor.MRN, other, minor.MRN, minor.MRN, major.MRN)
	return held
}
