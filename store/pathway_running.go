package store

import (
	"context"
	"time"
)

// RunningClock is an open RTT pathway whose clock is running, with the
// day the clock started.
type RunningClock struct {
	PathwayID  string
	ClockStart time.Time
}

// RunningClocks lists up to n of the trust's pathways whose RTT clock is
// running: what a benchmark stops to make a year of activity.
func (db *DB) RunningClocks(ctx context.Context, orgID string, n int) ([]RunningClock, error) {
	return queryRows(ctx, db.Reader(), func(r scanner) (RunningClock, error) {
		var c RunningClock
		var start string
		if err := r.Scan(&c.PathwayID, &start); err != nil {
			return c, err
		}
		c.ClockStart, _ = time.Parse("2006-01-02", start)
		return c, nil
	}, `SELECT id, clock_start FROM pathways WHERE org_id = $1 AND clock_state = 'running' LIMIT $2`, orgID, n)
}
