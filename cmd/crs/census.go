package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/opencrs/crs/store"
)

// censusNights is how many nights back the server makes sure a midnight
// census was taken, so a server down over a night or two catches up.
const censusNights = 3

// runNightlyCensus takes any midnight census missing from the last
// censusNights nights at once and then every interval until ctx is done,
// logging failures: the bed returns count the patients in a bed at each
// midnight, whether or not anyone asked that night.
func runNightlyCensus(ctx context.Context, db *store.DB, logger *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := store.RecordMissingCensuses(ctx, db, censusNights); err != nil {
			if ctx.Err() != nil {
				return
			}
			logger.Error("midnight census", "err", err)
		} else if n > 0 {
			logger.Info("midnight census taken", "nights", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
