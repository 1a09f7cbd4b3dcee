-- What an export asked for beyond its types and _since: the patients,
-- elements and associated data it is limited to or carries, and the
-- parameters it was asked leniently to leave out, kept as JSON so that
-- an export resumed after a restart writes what was asked.
ALTER TABLE fhir_exports ADD COLUMN options TEXT NOT NULL DEFAULT '';
