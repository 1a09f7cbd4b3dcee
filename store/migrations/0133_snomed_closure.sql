-- Every concept of a trust's SNOMED CT release with each concept it is
-- a kind of, by the release's is-a relationships followed to the top,
-- and with itself: the transitive closure of snomed_isa. A search asks
-- whether an indexed code is a concept or a kind of it by one lookup of
-- the key, however many concepts are below it, and a concept's
-- descendants are read by its prefix. LoadSNOMED fills it with a
-- release; this fills it for the releases loaded before it (CROSS JOIN
-- keeps SQLite reading each step's parents by the key).
CREATE TABLE snomed_closure (
	org_id      TEXT NOT NULL,
	ancestor_id TEXT NOT NULL,
	concept_id  TEXT NOT NULL,
	PRIMARY KEY (org_id, ancestor_id, concept_id)
);
INSERT INTO snomed_closure (org_id, ancestor_id, concept_id)
	WITH RECURSIVE up (org_id, concept_id, ancestor_id) AS (
		SELECT org_id, concept_id, concept_id FROM snomed_concepts
		UNION SELECT u.org_id, u.concept_id, i.parent_id FROM up u CROSS JOIN snomed_isa i WHERE i.org_id = u.org_id AND i.concept_id = u.ancestor_id)
	SELECT org_id, ancestor_id, concept_id FROM up;
