-- The interaction that wrote a version of the resource store, when it is
-- not the one its place says: PUT for a version 1 an update created (a
-- client naming the id), PATCH for a version a patch wrote; '' for a
-- create's version 1, an update's later version and a delete. A history
-- names it as each entry's request. Versions written before it say ''.
-- begin sqlite
ALTER TABLE fhir_versions ADD COLUMN method TEXT NOT NULL DEFAULT '';
-- end sqlite
-- begin postgres
ALTER TABLE fhir_versions ADD COLUMN IF NOT EXISTS method TEXT NOT NULL DEFAULT '';
-- end postgres
