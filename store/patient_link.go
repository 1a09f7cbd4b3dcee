package store

import (
	"context"

	"github.com/opencrs/crs"
)

// MergedRecords returns the ids of the trust's records merged into the
// patient's, oldest first.
func (s *PatientService) MergedRecords(ctx context.Context, a crs.Actor, id string) ([]string, error) {
	if err := a.Authorize(crs.ActViewDemographics); err != nil {
		s.db.refused(a, crs.ActViewDemographics)
		return nil, err
	}
	return queryRows(ctx, s.db.read, func(r scanner) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	}, `SELECT id FROM patients WHERE org_id = $1 AND merged_into = $2 AND merged_into <> '' ORDER BY created_at, id`, a.OrgID, id)
}
