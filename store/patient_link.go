package store

import (
	"context"

	"github.com/opencrs/crs"
)

// patientIDs runs a query of patients' ids for an actor who may view
// demographics.
func (s *PatientService) patientIDs(ctx context.Context, a crs.Actor, query string, args ...any) ([]string, error) {
	if err := a.Authorize(crs.ActViewDemographics); err != nil {
		s.db.refused(a, crs.ActViewDemographics)
		return nil, err
	}
	return queryRows(ctx, s.db.read, func(r scanner) (string, error) {
		var id string
		err := r.Scan(&id)
		return id, err
	}, query, args...)
}

// PatientIDs returns the ids of the trust's patients after the id
// after, in id order, up to limit, leaving out records merged into
// another. It lists who is registered; each record's read is audited
// where it is read.
func (s *PatientService) PatientIDs(ctx context.Context, a crs.Actor, after string, limit int) ([]string, error) {
	return s.patientIDs(ctx, a, `SELECT id FROM patients WHERE org_id = $1 AND merged_into = '' AND id > $2 ORDER BY id LIMIT $3`, a.OrgID, after, limit)
}
