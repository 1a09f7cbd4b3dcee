-- A record another system marks as not in active use (FHIR's
-- Patient.active false) says so: 1 for such a record, 0 for one in use.
-- A merged record is not in use either, by merged_into.
ALTER TABLE patients ADD COLUMN inactive INTEGER NOT NULL DEFAULT 0;
