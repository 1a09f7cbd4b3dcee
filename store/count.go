package store

import (
	"context"

	"github.com/opencrs/crs"
)

// CountPatients counts an organisation's patient records, merged ones
// included: for the demo's and benches' reports, not for users.
func (db *DB) CountPatients(ctx context.Context, orgID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM patients WHERE org_id = $1`, orgID).Scan(&n)
	return n, err
}

// CountOpenPathways counts an organisation's RTT pathways whose clock is
// running: the rows of its patient tracking list.
func CountOpenPathways(ctx context.Context, db *DB, orgID string) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pathways WHERE org_id = $1 AND clock_state = 'running'`, orgID).Scan(&n)
	return n, err
}

// odsCode returns the ODS code of an organisation by its ID.
func odsCode(ctx context.Context, q Querier, orgID string) (string, error) {
	var ods string
	err := q.QueryRowContext(ctx, `SELECT ods_code FROM organisations WHERE id = $1`, orgID).Scan(&ods)
	return ods, notFound(err, "no such organisation")
}

// SamplePatient reads the identifying fields of the patient with a
// hospital number, unaudited, for a bench to build its queries from.
func SamplePatient(ctx context.Context, db *DB, orgID, mrn string) (*crs.Patient, error) {
	p := &crs.Patient{MRN: mrn}
	var birth string
	err := db.read.QueryRowContext(ctx, `SELECT id, nhs_number, family_name, given_name, birth_date FROM patients WHERE org_id = $1 AND mrn = $2`, orgID, mrn).
		Scan(&p.ID, &p.NHSNumber, &p.FamilyName, &p.GivenName, &birth)
	if err != nil {
		return nil, notFound(err, "no patient with hospital number %s", mrn)
	}
	p.BirthDate = parseDate(birth)
	return p, nil
}
