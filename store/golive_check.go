package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/opencrs/crs"
)

// GoLiveCheckService keeps the runs of the go / no-go check of a
// cutover, through the one write path.
type GoLiveCheckService struct{ db *DB }

// NewGoLiveCheckService returns the go / no-go check history over db.
func NewGoLiveCheckService(db *DB) *GoLiveCheckService { return &GoLiveCheckService{db: db} }

var _ crs.GoLiveCheckService = (*GoLiveCheckService)(nil)

// goLiveActivity is the activity by which the actor sees the go / no-go
// checks: the programme board reads them as a report (analysts), the
// system administrator as part of the trust's settings.
func goLiveActivity(a crs.Actor) crs.Activity {
	if a.Can(crs.ActViewReports) {
		return crs.ActViewReports
	}
	return crs.ActAdministerSettings
}

// RecordGoLiveCheck keeps a run of the check with every criterion.
func (s *GoLiveCheckService) RecordGoLiveCheck(ctx context.Context, a crs.Actor, c *crs.GoLiveCheck) error {
	return s.db.writeTx(ctx, a, goLiveActivity(a), func(tx *Tx) error {
		c.ID, c.OrgID, c.CheckedAt = crs.NewID(), tx.actor.OrgID, tx.now
		c.CheckedBy = strings.TrimSpace(c.CheckedBy)
		if c.CheckedBy == "" {
			c.CheckedBy = tx.actor.Username
		}
		if _, err := tx.Exec(`INSERT INTO golive_checks (id, org_id, checked_at, checked_by, extract, go_ahead, failed)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, c.OrgID, formatTime(tx.now), c.CheckedBy, c.Extract, boolInt(c.Go),
			strings.Join(c.Failed, " ")); err != nil {
			return err
		}
		for i, k := range c.Criteria {
			var t sql.NullFloat64
			if k.Threshold != nil {
				t = sql.NullFloat64{Float64: *k.Threshold, Valid: true}
			}
			if _, err := tx.Exec(`INSERT INTO golive_criteria (check_id, position, name, description, figure, threshold, pass, detail)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.ID, i, k.Name, k.Description, k.Figure, t, boolInt(k.Pass), k.Detail); err != nil {
				return err
			}
		}
		verdict := "go"
		if !c.Go {
			verdict = "no-go, over their threshold: " + strings.Join(c.Failed, ", ")
		}
		return tx.Emit(&crs.Event{Type: crs.EventGoLiveChecked, SubjectID: c.ID, EffectiveAt: tx.now,
			Summary: "go-live check: " + verdict}, "go-live check")
	})
}

const goLiveCheckCols = `id, org_id, checked_at, checked_by, extract, go_ahead, failed`

func scanGoLiveCheck(r scanner) (*crs.GoLiveCheck, error) {
	c := &crs.GoLiveCheck{}
	var at, failed string
	var goAhead int
	err := r.Scan(&c.ID, &c.OrgID, &at, &c.CheckedBy, &c.Extract, &goAhead, &failed)
	c.CheckedAt, c.Go, c.Failed = parseTime(at), goAhead == 1, strings.Fields(failed)
	return c, err
}

// GoLiveChecks lists the trust's runs of the check, latest first, without
// their criteria.
func (s *GoLiveCheckService) GoLiveChecks(ctx context.Context, a crs.Actor, limit int) ([]*crs.GoLiveCheck, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []*crs.GoLiveCheck
	err := s.db.view(ctx, a, goLiveActivity(a), "go-live checks", func(q Querier) (string, error) {
		var err error
		out, err = queryRows(ctx, q, scanGoLiveCheck, `SELECT `+goLiveCheckCols+` FROM golive_checks
			WHERE org_id = $1 ORDER BY checked_at DESC, id DESC LIMIT $2`, a.OrgID, limit)
		return "", err
	})
	return out, err
}

// GoLiveCheck reads one run of the check with its criteria in the order
// the check measured them.
func (s *GoLiveCheckService) GoLiveCheck(ctx context.Context, a crs.Actor, id string) (*crs.GoLiveCheck, error) {
	var c *crs.GoLiveCheck
	err := s.db.view(ctx, a, goLiveActivity(a), "go-live check", func(q Querier) (string, error) {
		var err error
		if c, err = scanGoLiveCheck(q.QueryRowContext(ctx, `SELECT `+goLiveCheckCols+` FROM golive_checks WHERE id = $1 AND org_id = $2`, id, a.OrgID)); err != nil {
			return "", notFound(err, "no go-live check %s in this trust", id)
		}
		c.Criteria, err = queryRows(ctx, q, func(r scanner) (crs.GoLiveCriterion, error) {
			var k crs.GoLiveCriterion
			var t sql.NullFloat64
			var pass int
			err := r.Scan(&k.Name, &k.Description, &k.Figure, &t, &pass, &k.Detail)
			if t.Valid {
				k.Threshold = &t.Float64
			}
			k.Pass = pass == 1
			return k, err
		}, `SELECT name, description, figure, threshold, pass, detail FROM golive_criteria WHERE check_id = $1 ORDER BY position`, c.ID)
		return "", err
	})
	return c, err
}
