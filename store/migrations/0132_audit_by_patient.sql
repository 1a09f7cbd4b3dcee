-- On SQLite the audit trail's index by patient becomes a full-text index
-- (FTS5) of the patient each record names, rather than a B-tree index of
-- the audit table. A read of a patient's record is one audit record, and
-- its entry in a B-tree by patient landed on a page of its own (the
-- patients read are scattered): a commit of a few hundred reads' records
-- wrote a few hundred pages of that index to the log, about a third of
-- the CPU a read cost. FTS5 gathers a transaction's entries in memory and
-- writes them as one sorted segment, merging segments later in the
-- background of its writes, so the pages written follow the records'
-- number, not their patients.
--
-- Each record that names a patient has a row: the record's id, and the
-- term p, the patient's id in hexadecimal (one token whatever the id
-- holds). The table is contentless, holding the index and the ids but no
-- copy of the terms, and so refuses to change or delete a row, as the
-- trail is never changed. A trigger writes the row with its record, in
-- its transaction. A trail read by patient keeps the records the index
-- finds only if they name the patient (store/audit_patients.go).
--
-- PostgreSQL keeps its index on audit (org_id, patient_id, at): each
-- command writes it in its own backend, beside the others.

-- begin sqlite
CREATE VIRTUAL TABLE audit_by_patient USING fts5(
	p, id UNINDEXED,
	content='', contentless_unindexed=1, columnsize=0, detail=none);
INSERT INTO audit_by_patient (p, id) SELECT hex(patient_id), id FROM audit WHERE patient_id <> '';
CREATE TRIGGER audit_by_patient_add AFTER INSERT ON audit WHEN NEW.patient_id <> '' BEGIN INSERT INTO audit_by_patient (p, id) VALUES (hex(NEW.patient_id), NEW.id); END;
DROP INDEX audit_patient;
-- end sqlite
