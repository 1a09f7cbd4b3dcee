package store

import (
	"context"
	"time"

	"github.com/opencrs/crs"
)

// RecordMissingCensuses takes the midnight census of each of the last
// nights (up to days back) that has passed midnight and has none yet, for
// every organisation. The server runs it at start and every hour, so a
// census is taken soon after each midnight even after a restart, and a
// night is never taken twice by it.
func RecordMissingCensuses(ctx context.Context, db *DB, days int) (int, error) {
	orgs, err := NewOrganisationService(db).FindOrganisations(ctx)
	if err != nil {
		return 0, err
	}
	s := NewInpatientService(db)
	today := crs.DateOf(db.Clock.Now().In(crs.London))
	taken := 0
	for _, o := range orgs {
		for d := days; d >= 1; d-- {
			night := crs.Date{Time: today.AddDate(0, 0, -d)}
			var n int
			if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE org_id = $1 AND subject_id = $2 AND type = $3`,
				o.ID, "census:"+night.String(), crs.EventCensusRecorded).Scan(&n); err != nil {
				return taken, err
			}
			if n > 0 {
				continue
			}
			if _, err := s.RecordCensus(ctx, crs.SystemActor(o.ID), night); err != nil {
				return taken, err
			}
			taken++
		}
	}
	return taken, nil
}

// RunNightlyCensus calls RecordMissingCensuses for the last three nights at
// once and then every interval until ctx is done, logging failures.
func RunNightlyCensus(ctx context.Context, db *DB, interval time.Duration) {
	for {
		if n, err := RecordMissingCensuses(ctx, db, 3); err != nil {
			if ctx.Err() != nil {
				return
			}
			db.Logger.Error("midnight census", "err", err)
		} else if n > 0 {
			db.Logger.Info("midnight census taken", "nights", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
