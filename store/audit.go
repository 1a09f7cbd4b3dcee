package store

import (
	"context"

	"github.com/opencrs/crs"
)

// AuditService reads the audit trail.
type AuditService struct{ db *DB }

// NewAuditService returns the audit service over db.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

var _ crs.AuditService = (*AuditService)(nil)

// PatientAccess lists every access to a patient's record, newest first,
// including accesses to records merged into it and the record of the
// bulk load that registered either. The request itself is audited.
func (s *AuditService) PatientAccess(ctx context.Context, a crs.Actor, patientID string) ([]*crs.AuditRecord, error) {
	var out []*crs.AuditRecord
	err := s.db.View(ctx, a, crs.ActViewAudit, patientID, "access audit", func(q Querier) error {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE `+patientByID, patientID, a.OrgID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return crs.Errorf(crs.ENOTFOUND, "no such patient")
		}
		// The patient and the records merged into it, read first so that
		// each part of the trail is read through its index.
		merged, err := queryRows(ctx, q, scanString, `SELECT id FROM patients WHERE org_id = $1 AND merged_into = $2 AND merged_into <> ''`, a.OrgID, patientID)
		if err != nil {
			return err
		}
		from, args := s.db.patientAuditFrom([]any{a.OrgID}, append([]string{patientID}, merged...)...)
		out, err = queryRows(ctx, q, scanAuditRow, `SELECT `+auditColumnNames+`
			FROM `+from+`
			ORDER BY at DESC, id DESC LIMIT 5000`, args...)
		return err
	})
	return out, err
}

// Flush waits until every audit record and command queued so far is
// committed. Tests and shutdown use it.
func (db *DB) Flush(ctx context.Context) error {
	if db.pooled() {
		if err := db.flushAudits(ctx); err != nil {
			return err
		}
		return db.chainCommitted(ctx)
	}
	err := db.writeTx(ctx, crs.SystemActor("flush"), crs.ActSearchPatients, func(tx *Tx) error {
		return errFlush
	})
	if err == errFlush {
		return nil
	}
	return err
}

var errFlush = crs.Errorf(crs.ECONFLICT, "flush")
