-- The history of the trust's patients lists the patients a bulk load of
-- the patient index registered, each unchanged one as registered at the
-- load (loadedUnchanged): this index holds only the loaded records, in
-- id order, so that a trust with none reads nothing for them and one
-- with many reads a page of them newest first. A bulk load into an
-- empty patient index builds it at the end, as the search indexes
-- (patientSearchIndexes).
CREATE INDEX patients_loaded ON patients (org_id, id) WHERE load_audit_id <> '';
