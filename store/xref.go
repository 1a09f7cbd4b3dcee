package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencrs/crs"
)

// findPatientByXref finds, within a command, the live patient of the
// actor's trust that system's number names, following merges.
func findPatientByXref(tx *Tx, system, value string) (*crs.Patient, error) {
	org := tx.actor.OrgID
	p, err := scanPatient(tx.QueryRow(`SELECT `+prefixed("p.", patientColumns)+` FROM patient_xrefs x JOIN patients p ON p.id = x.patient_id
		WHERE x.org_id = $1 AND x.system = $2 AND x.value = $3`, org, system, value))
	for hops := 0; err == nil && p.Merged() && hops < 10; hops++ {
		p, err = scanPatient(tx.QueryRow(`SELECT `+patientColumns+` FROM patients WHERE `+patientByID, p.MergedInto, org))
	}
	if crs.ErrorCode(err) == crs.ENOTFOUND {
		return nil, crs.Errorf(crs.ENOTFOUND, "no patient with %s number %s", system, value)
	}
	return p, err
}

// linkPatientXref keeps system's number as a cross-reference of the
// patient, appending an EventXrefLinked; a number it holds already
// changes nothing.
func linkPatientXref(tx *Tx, patientID, system, value string) error {
	if system == "" || value == "" {
		return crs.Errorf(crs.EINVALID, "a cross-reference needs a system and a number")
	}
	var holder string
	err := tx.QueryRow(`SELECT patient_id FROM patient_xrefs WHERE org_id = $1 AND system = $2 AND value = $3`, tx.actor.OrgID, system, value).Scan(&holder)
	switch {
	case err == nil && holder == patientID:
		return nil
	case err == nil:
		other, gerr := getPatient(tx, holder)
		if gerr == nil && other.Merged() && other.MergedInto == patientID {
			return nil
		}
		return crs.Errorf(crs.ECONFLICT, "%s number %s already names another patient", system, value)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	p, err := getPatient(tx, patientID)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO patient_xrefs (id, org_id, patient_id, system, value, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		crs.NewID(), tx.actor.OrgID, patientID, system, value, formatTime(tx.now)); err != nil {
		return err
	}
	return tx.EmitData(&crs.Event{Type: crs.EventXrefLinked, PatientID: patientID, SubjectID: patientID,
		Summary: fmt.Sprintf("%s number %s linked to hospital number %s", system, value, p.MRN)},
		"patient cross-reference", crs.PatientXref{PatientID: patientID, System: system, Value: value, CreatedAt: tx.now})
}

// patientXrefs lists a patient's cross-references, oldest first.
func patientXrefs(tx *Tx, patientID string) ([]crs.PatientXref, error) {
	return queryRows(tx.ctx, tx, func(r scanner) (crs.PatientXref, error) {
		var x crs.PatientXref
		var created string
		err := r.Scan(&x.PatientID, &x.System, &x.Value, &created)
		x.CreatedAt = parseTime(created)
		return x, err
	}, `SELECT patient_id, system, value, created_at FROM patient_xrefs WHERE org_id = $1 AND patient_id = $2 ORDER BY created_at, id`, tx.actor.OrgID, patientID)
}

// FindPatientByXref finds the live patient system's number names.
func (tx *Tx) FindPatientByXref(system, value string) (*crs.Patient, error) {
	return findPatientByXref(tx, system, value)
}

// LinkPatientXref keeps system's number as a cross-reference of the patient.
func (tx *Tx) LinkPatientXref(patientID, system, value string) error {
	return linkPatientXref(tx, patientID, system, value)
}

// PatientXrefs lists the patient's cross-references.
func (tx *Tx) PatientXrefs(patientID string) ([]crs.PatientXref, error) {
	return patientXrefs(tx, patientID)
}
