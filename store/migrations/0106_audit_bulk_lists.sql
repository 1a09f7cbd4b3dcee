-- A list of many patients (the PTL or the waiting list exported whole) is
-- still one audit record with a row for each patient it listed, but those
-- rows go here, keyed by the record, not by the patient: written in one
-- run at the end of the table (record ids rise with time), where rows
-- keyed by patient land in every leaf of audit_listed's index and rewrite
-- the whole of it each time, a cost that grew with the trail. "Who saw
-- this patient" looks up the patient in each bulk list of the trust, one
-- key a list: such lists are a few a day where short lists (searches,
-- boards) are thousands, so those stay in audit_listed. audit_bulk_lists
-- names the trust's bulk lists. Both tables are append-only.
-- begin sqlite
CREATE TABLE audit_bulk_lists (
	org_id   TEXT NOT NULL,
	audit_id TEXT NOT NULL,
	PRIMARY KEY (org_id, audit_id)
) WITHOUT ROWID;
CREATE TABLE audit_bulk_listed (
	audit_id   TEXT NOT NULL,
	patient_id TEXT NOT NULL,
	PRIMARY KEY (audit_id, patient_id)
) WITHOUT ROWID;
CREATE TRIGGER audit_bulk_lists_no_update BEFORE UPDATE ON audit_bulk_lists BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a list is never changed'); END;
CREATE TRIGGER audit_bulk_lists_no_delete BEFORE DELETE ON audit_bulk_lists BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a list is never deleted'); END;
CREATE TRIGGER audit_bulk_listed_no_update BEFORE UPDATE ON audit_bulk_listed BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a listed patient is never changed'); END;
CREATE TRIGGER audit_bulk_listed_no_delete BEFORE DELETE ON audit_bulk_listed BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a listed patient is never deleted'); END;
-- end sqlite
-- begin postgres
CREATE TABLE audit_bulk_lists (
	org_id   TEXT NOT NULL,
	audit_id TEXT NOT NULL,
	PRIMARY KEY (org_id, audit_id)
);
CREATE TABLE audit_bulk_listed (
	audit_id   TEXT NOT NULL,
	patient_id TEXT NOT NULL,
	PRIMARY KEY (audit_id, patient_id)
);
CREATE TRIGGER audit_bulk_lists_append_only BEFORE UPDATE OR DELETE ON audit_bulk_lists FOR EACH ROW EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER audit_bulk_lists_no_truncate BEFORE TRUNCATE ON audit_bulk_lists FOR EACH STATEMENT EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER audit_bulk_listed_append_only BEFORE UPDATE OR DELETE ON audit_bulk_listed FOR EACH ROW EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER audit_bulk_listed_no_truncate BEFORE TRUNCATE ON audit_bulk_listed FOR EACH STATEMENT EXECUTE FUNCTION crs_append_only();
-- end postgres
