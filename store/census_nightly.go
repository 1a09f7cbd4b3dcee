package store

import (
	"context"

	"github.com/opencrs/crs"
)

// RecordMissingCensuses takes the midnight census of each of the last
// nights (up to days back) that has passed midnight and has none yet, for
// every organisation, and takes again the census of each of those nights
// already taken whose patients in a bed late entries have changed (a
// discharge or transfer backdated, an admission cancelled), so the census
// of a night is what is known of it now while each census taken stays in
// the events, as recorded. It returns the censuses taken or taken again. The server (cmd/crs) runs it at start and every
// hour, so a census is taken soon after each midnight even after a
// restart, and a night is never taken twice by it. Each census is taken
// through the write path, as the trust's system actor.
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
			if err := db.read.QueryRowContext(ctx, censusTakenSQL,
				o.ID, "census:"+night.String(), crs.EventCensusRecorded).Scan(&n); err != nil {
				return taken, err
			}
			if n > 0 {
				if changed, err := censusChanged(ctx, db.read, o.ID, night); err != nil || !changed {
					if err != nil {
						return taken, err
					}
					continue
				}
			}
			if _, err := s.RecordCensus(ctx, crs.SystemActor(o.ID), night); err != nil {
				return taken, err
			}
			taken++
		}
	}
	return taken, nil
}
