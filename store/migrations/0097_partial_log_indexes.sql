-- Two indexes every inbound message or patient change wrote an entry to
-- that no search reads now hold only the entries a search can find.
--
-- The message log's search by NHS number never looks for a message
-- without one (a search names ten digits), so the messages that carry
-- none (unverified patients, orders, results, refusals before the PID was
-- read) no longer each add an entry to hl7_messages_nhs.
--
-- A patient's own events (registered, changed, merged: the subject is the
-- patient) are read by patient through events_patient, never by subject:
-- events_subject keeps the events about something else (a message of the
-- log, a census night, an attendance), and those about no patient. A
-- search by subject states the same condition, so that both engines see
-- the index serves it; SubjectEvents reads a patient's own events by
-- patient.
DROP INDEX hl7_messages_nhs;
CREATE INDEX hl7_messages_nhs ON hl7_messages (org_id, nhs_number) WHERE nhs_number <> '';
DROP INDEX events_subject;
CREATE INDEX events_subject ON events (org_id, subject_id, id) WHERE subject_id <> patient_id OR patient_id = '';
