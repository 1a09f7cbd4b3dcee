-- Which concepts each simple reference set of a trust's SNOMED CT
-- release lists: its active members, from the release's
-- der2_Refset_Simple files. A reference set's members are read by the
-- first key, the reference sets a concept is on by the second.
CREATE TABLE snomed_refset (
	org_id      TEXT NOT NULL,
	refset_id   TEXT NOT NULL,
	concept_id  TEXT NOT NULL,
	PRIMARY KEY (org_id, refset_id, concept_id)
);
CREATE INDEX snomed_refset_of_concept ON snomed_refset (org_id, concept_id, refset_id);
