-- The resources of the clinical record a merge moved to the surviving
-- record (each given a new version naming it), by the merge's event, so
-- that an unmerge moves back exactly those and leaves what was recorded
-- on the survivor since.
CREATE TABLE merged_resources (
	org_id   TEXT NOT NULL,
	merge_id TEXT NOT NULL,
	type     TEXT NOT NULL,
	id       TEXT NOT NULL,
	PRIMARY KEY (org_id, merge_id, type, id)
);
