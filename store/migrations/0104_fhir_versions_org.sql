-- A version is written into one index fewer: the trust's history in seq
-- order is read from the primary key of seq (the trust's rows of it; a
-- deployment's trusts interleave), as fhir_versions_org read it, and a
-- type's history from fhir_versions_type. The tables keep their rowid
-- (a version's body, a kilobyte or two, overflows a page of a WITHOUT
-- ROWID table's B-tree, which holds a row locally up to a quarter page).
DROP INDEX fhir_versions_org;
