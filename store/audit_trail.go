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
	where := []string{"org_id = $1"}
	args := []any{a.OrgID}
	add := func(cond string, vs ...any) {
		ph := make([]any, len(vs))
		for i, v := range vs {
			args = append(args, v)
			ph[i] = len(args)
		}
		where = append(where, fmt.Sprintf(cond, ph...))
	}
	from := "audit"
	if q.PatientID != "" {
		// The patient's own records and the lists that named them.
		from, args = s.db.patientAuditFrom(args, q.PatientID)
	}
	if q.Agent != "" {
		add("(user_id = $%d OR username = $%d)", q.Agent, q.Agent)
	}
	if !q.From.IsZero() {
		add("at >= $%d", formatTime(q.From))
	}
	if !q.To.IsZero() {
		add("at < $%d", formatTime(q.To))
	}
	if q.Before != "" {
		add("id < $%d", q.Before)
	}
	count := q.Count
	if count <= 0 {
		count = 100
	}
	out, err := queryRows(ctx, s.db.read, scanAuditRow, `SELECT `+auditColumnNames+` FROM `+from+` WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, count), args...)
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
	r, err := scanAuditRow(s.db.read.QueryRowContext(ctx, `SELECT `+auditColumnNames+` FROM audit WHERE org_id = $1 AND id = $2`, a.OrgID, id))
	if err != nil {
		return nil, notFound(err, "the audit trail has no record %s", id)
	}
	s.db.Audit(a, r.PatientID, crs.AuditView, "audit record "+id)
	return r, nil
}
