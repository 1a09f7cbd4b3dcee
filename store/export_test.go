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

// BackfillCourses runs the Go step of migration 0073 again, in a
// transaction of its own.
func (db *DB) BackfillCourses(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := backfillCourses(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// BackfillCourseHeads runs the Go step of migration 0078 again, in a
// transaction of its own.
func (db *DB) BackfillCourseHeads(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := backfillCourseHeads(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
