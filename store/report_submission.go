package store

import (
	"context"

	"github.com/opencrs/crs"
)

// SubmissionService keeps the history of returns generated, through the
// one write path.
type SubmissionService struct{ db *DB }

// NewSubmissionService returns the submission history over db.
func NewSubmissionService(db *DB) *SubmissionService { return &SubmissionService{db: db} }

var _ crs.SubmissionService = (*SubmissionService)(nil)

// RecordSubmission records a generated return.
func (s *SubmissionService) RecordSubmission(ctx context.Context, a crs.Actor, sub *crs.ReportSubmission) error {
	return s.db.writeTx(ctx, a, crs.ActViewReports, func(tx *Tx) error {
		sub.ID, sub.GeneratedAt, sub.UserID, sub.Username = crs.NewID(), tx.now, tx.actor.UserID, tx.actor.Username
		if _, err := tx.Exec(`INSERT INTO report_submissions (id, org_id, report, period, format, generated_at, user_id, username, checksum, bytes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, sub.ID, tx.actor.OrgID, sub.Report, sub.Period, sub.Format, formatTime(tx.now),
			sub.UserID, sub.Username, sub.Checksum, sub.Bytes); err != nil {
			return err
		}
		return tx.EmitData(&crs.Event{Type: crs.EventReportGenerated, SubjectID: sub.ID, EffectiveAt: tx.now,
			Summary: sub.Report + " " + sub.Period + " generated (" + sub.Format + ")"}, "report submission", sub)
	})
}

// Submissions lists the trust's generated returns, latest first.
func (s *SubmissionService) Submissions(ctx context.Context, a crs.Actor, limit int) ([]*crs.ReportSubmission, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []*crs.ReportSubmission
	err := s.db.view(ctx, a, crs.ActViewReports, "report submissions", func(q Querier) (string, error) {
		var err error
		out, err = queryRows(ctx, q, func(r scanner) (*crs.ReportSubmission, error) {
			sub := &crs.ReportSubmission{}
			var at string
			err := r.Scan(&sub.ID, &sub.Report, &sub.Period, &sub.Format, &at, &sub.UserID, &sub.Username, &sub.Checksum, &sub.Bytes)
			sub.GeneratedAt = parseTime(at)
			return sub, err
		}, `SELECT id, report, period, format, generated_at, user_id, username, checksum, bytes FROM report_submissions
			WHERE org_id = $1 ORDER BY generated_at DESC, id DESC LIMIT $2`, a.OrgID, limit)
		return "", err
	})
	return out, err
}
