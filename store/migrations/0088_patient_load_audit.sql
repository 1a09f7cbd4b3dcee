-- A bulk load of the patient index writes one event and one audit record
-- for each batch of patients it registers, not one of each per patient.
-- load_audit_id is that batch's audit record (whose event names the
-- patients), or '' for a patient registered alone: the patient's history
-- and audit trail reach the load through it.
ALTER TABLE patients ADD COLUMN load_audit_id TEXT NOT NULL DEFAULT '';
