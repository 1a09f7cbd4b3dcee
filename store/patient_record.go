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

// patientRecordClinicalSQL reads it with the Patient resource kept
// beside the record, if any.
var patientRecordClinicalSQL = patientRecordSQL + `,
	COALESCE(r.type, ''), COALESCE(r.id, ''), COALESCE(r.version, 0), COALESCE(r.seq, ''), COALESCE(r.last_updated, ''),
	COALESCE(r.deleted, 0), COALESCE(r.patient_id, ''), COALESCE(r.body, '')
	FROM patients p LEFT JOIN fhir_current r ON r.org_id = p.org_id AND r.type = 'Patient' AND r.id = p.id
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
	var merged string
	var kept *crs.Resource
	var p *crs.Patient
	var err error
	if clinical {
		row := s.db.read.QueryRowContext(ctx, patientRecordClinicalSQL, id, a.OrgID)
		p, err = scanPatient(scanFunc(func(pd ...any) error {
			var err error
			kept, err = scanResource(scanFunc(func(rd ...any) error {
				return row.Scan(append(append(pd, &merged), rd...)...)
			}))
			return err
		}))
	} else {
		row := s.db.read.QueryRowContext(ctx, patientRecordSQL+` FROM patients p WHERE p.id = $1 AND p.org_id = $2`, id, a.OrgID)
		p, err = scanPatient(scanFunc(func(pd ...any) error { return row.Scan(append(pd, &merged)...) }))
	}
	if err != nil {
		return nil, err
	}
	rec := &crs.PatientRecord{Patient: p}
	if merged != "" {
		rec.Merged = strings.Split(merged, ",")
	}
	// The kept resource is part of the clinical record: it is served only
	// past the clinical access check, which audits its own refusals.
	if kept != nil && kept.Type != "" && s.db.checkClinical(ctx, a, p.ID) == nil {
		rec.Kept = kept
	}
	s.db.Audit(a, id, crs.AuditView, rec.What())
	return rec, nil
}
