-- The search index a trust's resources were last indexed under: the
-- fingerprint of what the OpenCRS that indexed them extracts of each
-- search parameter (fhir.IndexFingerprint), recorded once every current
-- resource of the trust holds those rows. A start of OpenCRS whose
-- fingerprint is another reindexes the trust's resources first; '' is a
-- trust never checked.
ALTER TABLE organisations ADD COLUMN fhir_index_fingerprint TEXT NOT NULL DEFAULT '';
