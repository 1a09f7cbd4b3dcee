package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencrs/crs"
)

var _ crs.PatientResourceReader = (*ResourceService)(nil)

// PatientResources returns the current, not deleted, resources about a
// patient, last changed first.
func (s *ResourceService) PatientResources(ctx context.Context, a crs.Actor, patientID string, types []string, limit int) ([]*crs.Resource, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []*crs.Resource
	err := s.db.View(ctx, a, crs.ActViewClinical, patientID, "clinical record", func(q Querier) error {
		args := []any{a.OrgID, patientID}
		query := `SELECT ` + resourceColumns + ` FROM fhir_current WHERE org_id = $1 AND patient_id = $2 AND deleted = 0`
		if len(types) > 0 {
			var in []string
			for _, t := range types {
				args = append(args, t)
				in = append(in, fmt.Sprintf("$%d", len(args)))
			}
			query += ` AND type IN (` + strings.Join(in, ", ") + `)`
		}
		args = append(args, limit)
		query += fmt.Sprintf(` ORDER BY last_updated DESC, id DESC LIMIT $%d`, len(args))
		var err error
		out, err = queryResources(ctx, q, query, args...)
		return err
	})
	return out, err
}
