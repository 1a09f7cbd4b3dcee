package store

import (
	"context"
	"strings"

	"github.com/opencrs/crs"
)

// patientRecordSQL reads a PMI record with the ids of the records merged
// into it (none for a record merged into another) in one statement.
// string_agg with ORDER BY is the same on both engines (SQLite 3.44 on).
var patientRecordSQL = `SELECT ` + prefixed("p.", patientColumns) + `,
	COALESCE((SELECT string_agg(m.id, ',' ORDER BY m.created_at, m.id) FROM patients m
		WHERE m.org_id = p.org_id AND m.merged_into = p.id AND m.merged_into <> '' AND p.merged_into = ''), '')`

// patientRecordClinicalColumns are patientRecordSQL's with the Patient
// resource kept beside the record, if any, read from
// patientRecordClinicalFrom.
var patientRecordClinicalColumns = patientRecordSQL + `,
	COALESCE(r.type, ''), COALESCE(r.id, ''), COALESCE(r.version, 0), COALESCE(r.seq, ''), COALESCE(r.last_updated, ''),
	COALESCE(r.deleted, 0), COALESCE(r.patient_id, ''), COALESCE(r.body, '')`

const patientRecordClinicalFrom = `
	FROM patients p LEFT JOIN fhir_current r ON r.org_id = p.org_id AND r.type = 'Patient' AND r.id = p.id`

// patientRecordClinicalSQL reads a record with the Patient resource kept
// beside it, if any.
var patientRecordClinicalSQL = patientRecordClinicalColumns + patientRecordClinicalFrom + `
	WHERE p.id = $1 AND p.org_id = $2`

// ReadPatientRecord returns a patient of the actor's trust, the records
// merged into it and, for a reader of the clinical record who may see
// this patient's, the resource kept beside it: one statement and one
// audit record, which names the kept resource when one was read.
func (s *PatientService) ReadPatientRecord(ctx context.Context, a crs.Actor, id string, clinical bool) (*crs.PatientRecord, error) {
	if err := a.Authorize(crs.ActViewDemographics); err != nil {
		s.db.refused(a, crs.ActViewDemographics)
		return nil, err
	}
	clinical = clinical && a.Can(crs.ActViewClinical)
	var rec *crs.PatientRecord
	var err error
	if clinical {
		rec, err = scanRecord(s.db.read.QueryRowContext(ctx, patientRecordClinicalSQL, id, a.OrgID), true)
	} else {
		rec, err = scanRecord(s.db.read.QueryRowContext(ctx, patientRecordSQL+` FROM patients p WHERE p.id = $1 AND p.org_id = $2`, id, a.OrgID), false)
	}
	if err != nil {
		return nil, err
	}
	s.keepKept(ctx, a, rec)
	s.db.Audit(a, id, crs.AuditView, rec.What())
	return rec, nil
}

// scanRecord reads a row of patientRecordSQL, or of
// patientRecordClinicalColumns when clinical is true, the kept resource
// in Kept until keepKept has checked it may be served.
func scanRecord(row scanner, clinical bool) (*crs.PatientRecord, error) {
	var merged string
	var kept *crs.Resource
	p, err := scanPatient(scanFunc(func(pd ...any) error {
		if !clinical {
			return row.Scan(append(pd, &merged)...)
		}
		var err error
		kept, err = scanResource(scanFunc(func(rd ...any) error {
			return row.Scan(append(append(pd, &merged), rd...)...)
		}))
		return err
	}))
	if err != nil {
		return nil, err
	}
	rec := &crs.PatientRecord{Patient: p}
	if merged != "" {
		rec.Merged = strings.Split(merged, ",")
	}
	if kept != nil && kept.Type != "" {
		rec.Kept = kept
	}
	return rec, nil
}

// keepKept leaves a record's kept resource, part of the clinical record,
// only past the clinical access check, which audits its own refusals.
func (s *PatientService) keepKept(ctx context.Context, a crs.Actor, rec *crs.PatientRecord) {
	if rec.Kept != nil && s.db.checkClinical(ctx, a, rec.Patient.ID) != nil {
		rec.Kept = nil
	}
}

// keptForScan leaves a kept resource a scan read only where the actor
// may see the patient's clinical record now, as keepKept does, but
// neither audits a refusal nor watches the patient's identity: the scan
// shows none of what it reads, and its caller reads again, through
// those checks, the patients it shows.
func (s *PatientService) keptForScan(ctx context.Context, a crs.Actor, rec *crs.PatientRecord) error {
	if rec.Kept == nil || !a.Role.NeedsRelationship() {
		return nil
	}
	refusal, err := clinicalAccess(ctx, s.db.read, a, rec.Patient.ID, s.db.Clock.Now().UTC())
	if err == nil {
		return nil
	}
	rec.Kept = nil
	if refusal == "" && crs.ErrorCode(err) != crs.ENOTFOUND {
		return err // the check could not be made
	}
	return nil
}

// ScanPatientRecords reads the trust's patients' records in id order, or
// in the order of birth date, family or given name as ScanPatients reads
// them (q says), a page at a time, each as ReadPatientRecord reads one, for a search (For)
// whose caller keeps those that match and shows each read again: the
// page is audited as read for that search, not as each record viewed.
func (s *PatientService) ScanPatientRecords(ctx context.Context, a crs.Actor, q crs.PatientScan, clinical bool) ([]*crs.PatientRecord, string, error) {
	if err := a.Authorize(crs.ActViewDemographics); err != nil {
		s.db.refused(a, crs.ActViewDemographics)
		return nil, "", err
	}
	if q.For == "" {
		return nil, "", crs.Errorf(crs.EINTERNAL, "a scan of patients' records is read for a search")
	}
	q = scanLimited(q)
	clinical = clinical && a.Can(crs.ActViewClinical)
	query := patientRecordSQL + ` FROM patients p`
	if clinical {
		query = patientRecordClinicalColumns + patientRecordClinicalFrom
	}
	args := []any{a.OrgID}
	rest, err := scanPatientsRest(q, "p.", paramAdder(&args))
	if err != nil {
		return nil, "", err
	}
	rows, err := queryRows(ctx, s.db.read, func(r scanner) (*crs.PatientRecord, error) { return scanRecord(r, clinical) }, query+rest, args...)
	if err != nil {
		return nil, "", err
	}
	page, next := pageOf(rows, q.Limit, func(r *crs.PatientRecord) []string { return scanCursor(q, r.Patient) })
	for _, rec := range page {
		if err := s.keptForScan(ctx, a, rec); err != nil {
			return nil, "", err
		}
	}
	s.db.Audit(a, "", crs.AuditSearch, "read patients' records in "+scanOrder(q)+" order for "+q.For+": "+itoa(len(page))+", those matching shown")
	return page, next, nil
}
