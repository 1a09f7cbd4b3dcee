-- A list shown or exported (a search result, the PTL, the waiting list,
-- the A&E and bed boards, a FHIR search) is one audit record, action
-- "listed", whose what says which list and how many patients and ends
-- with the SHA-256 of the sorted ids of the patients it listed, so the
-- hash chain commits to them. Each listed patient is one row here, so
-- "who saw this patient" still finds the list. Lists audited before this
-- table are one audit record per patient and stay as they are.
-- begin sqlite
CREATE TABLE audit_listed (
	org_id     TEXT NOT NULL,
	patient_id TEXT NOT NULL,
	audit_id   TEXT NOT NULL,
	PRIMARY KEY (org_id, patient_id, audit_id)
) WITHOUT ROWID;
-- end sqlite
-- begin postgres
CREATE TABLE audit_listed (
	org_id     TEXT NOT NULL,
	patient_id TEXT NOT NULL,
	audit_id   TEXT NOT NULL,
	PRIMARY KEY (org_id, patient_id, audit_id)
);
-- end postgres
