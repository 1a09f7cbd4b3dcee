-- Each ward's beds as the midnight census of a night found them: beds,
-- available (not closed or out of use) and whether the ward was day-only.
-- Written with the census of the night and kept when the census is taken
-- again after late entries, so a bed closed or opened today changes only
-- the nights after it. Nights taken before this table have no rows: KH03
-- counts the beds as they stand now for them and says so.
CREATE TABLE census_beds (
	org_id     TEXT NOT NULL,
	night      TEXT NOT NULL,
	ward_id    TEXT NOT NULL,
	beds       INTEGER NOT NULL,
	available  INTEGER NOT NULL,
	day_only   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (org_id, night, ward_id)
);
