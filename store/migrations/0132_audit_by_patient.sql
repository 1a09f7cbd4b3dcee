-- On SQLite the audit records of accesses (reads, searches, refusals: the
-- records with no event, group-committed after the access) are indexed
-- by patient in a full-text index (FTS5), not in a B-tree index of the
-- audit table. A read of a patient's record is one such record, and its
-- entry in a B-tree by patient landed on a page of its own (the patients
-- read are scattered): a commit of a few hundred reads' records wrote a
-- few hundred pages of that index to the log: without the index a read
-- cost a quarter less CPU. FTS5 gathers a transaction's entries in memory and writes
-- them as one sorted segment, merging segments later as it writes, so
-- the pages written follow the records' number, not their patients.
--
-- The records of changes (each with its event, written in its command's
-- transaction) keep a B-tree index by patient, audit_patient_changes: a
-- segment a commit would cost a batch of commands more than their
-- entries, which for a new patient land at the index's end.
--
-- Each access record that names a patient has a row in audit_by_patient:
-- the record's id, and the term p, the patient's id in hexadecimal (one
-- token whatever the id holds). The table is contentless, holding the
-- index and the ids but no copy of the terms, and so refuses to change
-- or delete a row, as the trail is never changed. A trigger writes the
-- row with its record, in its transaction. A trail read by patient keeps
-- the records the index finds only if they name the patient
-- (store/audit_patients.go).
--
-- PostgreSQL keeps its index on audit (org_id, patient_id, at): each
-- command writes it in its own backend, beside the others.

-- begin sqlite
CREATE VIRTUAL TABLE audit_by_patient USING fts5(
	p, id UNINDEXED,
	content='', contentless_unindexed=1, columnsize=0, detail=none);
INSERT INTO audit_by_patient (p, id) SELECT hex(patient_id), id FROM audit WHERE patient_id <> '' AND event_id = '';
CREATE TRIGGER audit_by_patient_add AFTER INSERT ON audit WHEN NEW.patient_id <> '' AND NEW.event_id = '' BEGIN INSERT INTO audit_by_patient (p, id) VALUES (hex(NEW.patient_id), NEW.id); END;
CREATE INDEX audit_patient_changes ON audit (org_id, patient_id, at) WHERE event_id <> '';
DROP INDEX audit_patient;
-- end sqlite
