package store

import "context"

// PatientTables and PatientTablesLeftOut let the tests of package
// store_test check the merge's list of patient tables against the schema.
var (
	PatientTables        = patientTables
	PatientTablesLeftOut = patientTablesLeftOut
)

// ExecSchema changes the schema directly, as a new migration would.
func (db *DB) ExecSchema(ctx context.Context, query string) error {
	_, err := db.write.ExecContext(ctx, query)
	return err
}
