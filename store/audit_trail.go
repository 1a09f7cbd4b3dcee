package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencrs/crs"
)

var _ crs.AuditTrail = (*AuditService)(nil)

// auditReader checks that a may read the audit trail: a privacy
// officer, or a system (the FHIR edge has checked its token allows
// AuditEvent).
func (s *AuditService) auditReader(a crs.Actor) error {
	if a.Role == crs.RoleInterface && a.UserID != "" && a.OrgID != "" {
		return nil
	}
	if err := a.Authorize(crs.ActViewAudit); err != nil {
		s.db.refused(a, crs.ActViewAudit)
		return err
	}
	return nil
}

// SearchAudit lists the trust's audit records q selects, newest first.
func (s *AuditService) SearchAudit(ctx context.Context, a crs.Actor, q crs.AuditQuery) ([]*crs.AuditRecord, error) {
	if err := s.auditReader(a); err != nil {
		return nil, err
	}
	// Each condition is written twice: on a row of audit (or of the
	// patient's trail), and on a record of a block with, where it can,
	// one on the block that lets its index pass over blocks that hold
	// no such record.
	where, blockWhere := []string{"org_id = $1"}, []string{"b.org_id = $1"}
	args := []any{a.OrgID}
	add := func(v any, cond string, onBlock ...string) {
		args = append(args, v)
		n := "$" + itoa(len(args))
		where = append(where, strings.ReplaceAll(cond, "$?", n))
		for _, c := range onBlock {
			blockWhere = append(blockWhere, strings.ReplaceAll(c, "$?", n))
		}
	}
	from := "audit"
	if q.PatientID != "" {
		// The patient's own records and the lists that named them.
		from, args = s.db.patientAuditFrom(args, q.PatientID)
	}
	if q.Agent != "" {
		add(q.Agent, "(user_id = $? OR username = $?)", "("+blockField["user_id"]+" = $? OR "+blockField["username"]+" = $?)")
		if q.PatientID == "" {
			var named string
			named, args = s.db.dialect.blockNamedBy(args, 'u', q.Agent)
			blockWhere = append(blockWhere, named)
		}
	}
	if !q.From.IsZero() {
		add(formatTime(q.From), "at >= $?", blockField["at"]+" >= $?", "b.max_at >= $?")
	}
	if !q.To.IsZero() {
		add(formatTime(q.To), "at < $?", blockField["at"]+" < $?", "b.min_at < $?")
	}
	if q.Before != "" {
		add(q.Before, "id < $?", blockField["id"]+" < $?", "b.first_id < $?")
	}
	count := q.Count
	if count <= 0 {
		count = 100
	}
	limit := fmt.Sprintf(` LIMIT %d`, count)
	query := `SELECT ` + auditColumnNames + ` FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id DESC` + limit
	if q.PatientID == "" {
		// The newest records of the table and the newest of the blocks,
		// each read newest first through its index and so only as far
		// as the page needs: a block's records are newer than every
		// record of the blocks before it (one writer writes them, and
		// gives their ids as it writes).
		query = `SELECT * FROM (` + query + `) AS table_page
			UNION ALL SELECT * FROM (SELECT ` + blockRecordCols + ` FROM audit_blocks b, ` + s.db.dialect.blockRecords() + `
			WHERE ` + strings.Join(blockWhere, " AND ") + ` ORDER BY b.last_id DESC, r.key DESC` + limit + `) AS block_page
			ORDER BY 1 DESC` + limit
	}
	out, err := queryRows(ctx, s.db.read, scanAuditRow, query, args...)
	if err != nil {
		return nil, crs.Errorf(crs.EINTERNAL, "read the audit trail: %w", err)
	}
	s.db.Audit(a, q.PatientID, crs.AuditSearch, "audit trail")
	return out, nil
}

// AuditRecordByID returns one record of the trust's audit trail.
func (s *AuditService) AuditRecordByID(ctx context.Context, a crs.Actor, id string) (*crs.AuditRecord, error) {
	if err := s.auditReader(a); err != nil {
		return nil, err
	}
	// Or in the one block whose records' ids span it: the first block,
	// in the order of its records' ids, that ends at or past it.
	query := `SELECT ` + auditColumnNames + ` FROM audit WHERE org_id = $1 AND id = $2
		UNION ALL SELECT ` + blockRecordCols + `
		FROM (SELECT * FROM audit_blocks WHERE org_id = $1 AND last_id >= $2 ORDER BY last_id LIMIT 1) b, ` + s.db.dialect.blockRecords() + `
		WHERE ` + blockField["id"] + ` = $2`
	r, err := scanAuditRow(s.db.read.QueryRowContext(ctx, query, a.OrgID, id))
	if err != nil {
		return nil, notFound(err, "the audit trail has no record %s", id)
	}
	s.db.Audit(a, r.PatientID, crs.AuditView, "audit record "+id)
	return r, nil
}
