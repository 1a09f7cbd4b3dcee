-- The history of the trust's patients (FHIR Patient/_history, and the
-- patients' part of the trust's _history) reads the events that carry
-- a version of a patient's record, newest first, a page at a time. In a
-- trust's events those are few among the spells, attendances, messages
-- and census nights; this index holds only them, in the order read. The
-- query states the same condition (patientVersionEvents) so that both
-- engines see the index serves it.
CREATE INDEX events_patient_versions ON events (org_id, id) WHERE type IN ('patient.registered', 'patient.updated', 'patient.died', 'patient.merged', 'patient.unmerged');
