-- A list shown or exported (a search result, the PTL, the waiting list,
-- the A&E and bed boards, a FHIR search) is one audit record, action
-- "listed", whose what says which list and how many patients and ends
-- with the SHA-256 of the sorted ids of the patients it listed, so the
-- hash chain commits to them. Each listed patient is one row here, so
-- "who saw this patient" still finds the list. Lists audited before this
-- table are one audit record per patient and stay as they are. Like the
-- audit trail, the table is append-only.
-- begin sqlite
CREATE TABLE audit_listed (
	org_id     TEXT NOT NULL,
	patient_id TEXT NOT NULL,
	audit_id   TEXT NOT NULL,
	PRIMARY KEY (org_id, patient_id, audit_id)
) WITHOUT ROWID;
CREATE TRIGGER audit_listed_no_update BEFORE UPDATE ON audit_listed BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a listed patient is never changed'); END;
CREATE TRIGGER audit_listed_no_delete BEFORE DELETE ON audit_listed BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a listed patient is never deleted'); END;
-- end sqlite
-- begin postgres
CREATE TABLE audit_listed (
	org_id     TEXT NOT NULL,
	patient_id TEXT NOT NULL,
	audit_id   TEXT NOT NULL,
	PRIMARY KEY (org_id, patient_id, audit_id)
);
CREATE TRIGGER audit_listed_append_only BEFORE UPDATE OR DELETE ON audit_listed FOR EACH ROW EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER audit_listed_no_truncate BEFORE TRUNCATE ON audit_listed FOR EACH STATEMENT EXECUTE FUNCTION crs_append_only();
-- end postgres
