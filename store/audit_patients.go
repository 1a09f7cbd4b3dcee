package store

import (
	"context"

	"github.com/opencrs/crs"
)

// patientAuditFrom is a FROM clause of the audit records of the patients,
// whose ids it adds to args as parameters ($1 is the trust): their own
// records, the record of the bulk load that registered them (it names the
// batch, not one patient), and the list records that listed them, each
// with the listed patient's id. Each part is read through its own index
// (the patients' records by patient, the patients' primary key, the
// listed patients' primary key): an OR of them made SQLite scan the
// trust's whole trail. On SQLite the records of changes are found by
// their index by patient and those of accesses written as rows by the
// full-text index audit_by_patient (migration 0132); on PostgreSQL both
// by audit's index by patient. On both the records in blocks are found
// by the blocks' index by patient (dialect.blocksNaming), asked for the
// patients.
func (db *DB) patientAuditFrom(args []any, patients ...string) (string, []any) {
	ids := placeholderRows(1, len(patients), len(args)+1, false)
	for _, p := range patients {
		args = append(args, p)
	}
	own := `SELECT ` + auditColumnNames + ` FROM audit WHERE org_id = $1 AND patient_id IN ` + ids
	if db.dialect.name == "sqlite" {
		args = append(args, termQuery("", patients...))
		own += ` AND event_id <> ''
		UNION ALL SELECT a.id, a.org_id, a.at, a.user_id, a.username, a.role, a.patient_id, a.action, a.what, a.purpose, a.event_id
		FROM audit_by_patient f JOIN audit a ON a.id = f.id
		WHERE audit_by_patient MATCH $` + itoa(len(args)) + ` AND a.org_id = $1 AND a.patient_id IN ` + ids + ` AND a.event_id = ''`
	}
	blocks, named, args := db.dialect.blocksNaming(args, 'p', patients...)
	own += `
		UNION ALL SELECT ` + blockRecordCols + `
		FROM ` + blocks + `, ` + db.dialect.blockRecords() + `
		WHERE ` + named + ` AND b.org_id = $1 AND ` + blockField["patient_id"] + ` IN ` + ids
	return `(` + own + `
		UNION SELECT a.id, a.org_id, a.at, a.user_id, a.username, a.role, a.patient_id, a.action, a.what, a.purpose, a.event_id
		FROM patients p JOIN audit a ON a.id = p.load_audit_id
		WHERE p.org_id = $1 AND p.id IN ` + ids + ` AND p.load_audit_id <> ''
		UNION ALL SELECT a.id, a.org_id, a.at, a.user_id, a.username, a.role, l.patient_id, a.action, a.what, a.purpose, a.event_id
		FROM audit_listed l JOIN audit a ON a.id = l.audit_id
		WHERE l.org_id = $1 AND l.patient_id IN ` + ids + `
		UNION ALL SELECT a.id, a.org_id, a.at, a.user_id, a.username, a.role, l.patient_id, a.action, a.what, a.purpose, a.event_id
		FROM audit_bulk_lists bl JOIN audit_bulk_listed l ON l.audit_id = bl.audit_id JOIN audit a ON a.id = bl.audit_id
		WHERE bl.org_id = $1 AND l.patient_id IN ` + ids + `) AS trail`, args
}

// checkPatientIndex is VerifyAuditChain's check of the full-text
// indexes on SQLite, by patient of audit and of the blocks
// (checkBlockIndex): the chained access records of the trust that
// name a patient (named, up to seq last) each have one entry. A record
// without its entry would be missing from its patient's trail; an entry
// more is one no record explains. (An entry cannot put a record in
// another patient's trail: the trail keeps the records the index finds
// only if they name the patient.) On PostgreSQL audit's index is
// PostgreSQL's own, and each block's arrays are checked against its
// records as the block is read (chainBlock.check).
func (db *DB) checkPatientIndex(ctx context.Context, q Querier, orgID string, named, last int64, add func(crs.AuditChainBreak)) error {
	if db.dialect.name != "sqlite" {
		return nil
	}
	if err := checkBlockIndex(ctx, q, orgID, last, add); err != nil {
		return err
	}
	var entries int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_by_patient f JOIN audit a ON a.id = f.id
		WHERE a.org_id = $1 AND a.patient_id <> '' AND a.event_id = '' AND a.seq IS NOT NULL`, orgID).Scan(&entries)
	if err != nil {
		return crs.Errorf(crs.EINTERNAL, "read the audit trail's index by patient: %w", err)
	}
	countIndexed(add, last, named, entries,
		"%d of the %d access records that name a patient are missing from the trail's index by patient: their patients' trails do not show them",
		"the trail's index by patient holds %d entries more than the %d access records that name a patient")
	return nil
}
