-- What each concept of a trust's SNOMED CT release is a kind of: its
-- active is-a relationships, from the release's relationship file. A
-- concept's ancestors are read up from it by the first key, its
-- descendants down from it by the second.
CREATE TABLE snomed_isa (
	org_id      TEXT NOT NULL,
	concept_id  TEXT NOT NULL,
	parent_id   TEXT NOT NULL,
	PRIMARY KEY (org_id, concept_id, parent_id)
);
CREATE INDEX snomed_isa_children ON snomed_isa (org_id, parent_id, concept_id);
