-- Other systems' own numbers for a patient (cross-references): the
-- number a sender gives the patient in PID-3, by its interface's
-- conventions, so that a later message carrying only that number finds
-- the patient. system is the sender as MSH-3@MSH-4. A merge moves them to
-- the record kept (store/merge.go patientTables).
CREATE TABLE patient_xrefs (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES organisations (id),
	patient_id  TEXT NOT NULL REFERENCES patients (id),
	system      TEXT NOT NULL,
	value       TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	UNIQUE (org_id, system, value)
);
CREATE INDEX patient_xrefs_patient ON patient_xrefs (org_id, patient_id);

-- An outbound feed to a system that wants its own numbers back: the
-- cross-references of xref_system go in PID-3 as
-- value^^^xref_authority^xref_type. map_interface_id names the inbound
-- interface whose code maps the feed applies in reverse ('' for none).
ALTER TABLE hl7_destinations ADD COLUMN xref_system TEXT NOT NULL DEFAULT '';
ALTER TABLE hl7_destinations ADD COLUMN xref_authority TEXT NOT NULL DEFAULT '';
ALTER TABLE hl7_destinations ADD COLUMN xref_type TEXT NOT NULL DEFAULT '';
ALTER TABLE hl7_destinations ADD COLUMN map_interface_id TEXT NOT NULL DEFAULT '';
