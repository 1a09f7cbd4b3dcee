-- A record registered in error may be deleted; its deletion is the last
-- version of its history (patient.deleted), which the history of the
-- trust's patients reads with the others: the index of the events that
-- carry a version of a patient's record (migration 0115) holds it too.
DROP INDEX events_patient_versions;
CREATE INDEX events_patient_versions ON events (org_id, id) WHERE type IN ('patient.registered', 'patient.updated', 'patient.died', 'patient.merged', 'patient.unmerged', 'patient.deleted');
