-- A search of the trust's encounters, referrals, pathways or
-- appointments that names no patient reads each table a batch at a time
-- in the order of patient, then id (crs.RecordScan): these indexes start
-- each batch at the cursor and stop after it. They also serve, as the
-- indexes of (org_id, patient_id) they replace did, the reads of one
-- patient's records. The pathways have theirs (migration 0101).
CREATE INDEX spells_patient_ids ON spells (org_id, patient_id, id);
DROP INDEX spells_patient;
CREATE INDEX ed_attendances_patient_ids ON ed_attendances (org_id, patient_id, id);
DROP INDEX ed_attendances_patient;
CREATE INDEX referrals_patient_ids ON referrals (org_id, patient_id, id);
DROP INDEX referrals_patient;
CREATE INDEX appointments_patient_ids ON appointments (org_id, patient_id, id);
DROP INDEX appointments_patient;
