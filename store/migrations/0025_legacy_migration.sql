-- A migration from a legacy PAS. migrated_rows records every accepted row
-- of a legacy extract that was loaded, by file and key (or line, for a
-- file without a key), with the record it became, in the command that
-- wrote that record: an import that was interrupted carries on where it
-- stopped and never loads a row twice. gp_practices are the general
-- practices of the trust's area, by ODS code.
CREATE TABLE migrated_rows (
	org_id      TEXT NOT NULL,
	file        TEXT NOT NULL,
	row_key     TEXT NOT NULL,
	line        INTEGER NOT NULL,
	record_id   TEXT NOT NULL,
	patient_id  TEXT NOT NULL DEFAULT '',
	event_id    TEXT NOT NULL,
	PRIMARY KEY (org_id, file, row_key)
);

CREATE TABLE gp_practices (
	org_id    TEXT NOT NULL,
	code      TEXT NOT NULL,
	name      TEXT NOT NULL,
	postcode  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (org_id, code)
);

-- The legacy PAS allowed overbooking: a slot holding more than one live
-- appointment. A migrated appointment that shares its slot with another is
-- marked overbooked; every other slot still holds one live appointment.
ALTER TABLE appointments ADD COLUMN overbooked INTEGER NOT NULL DEFAULT 0;
DROP INDEX appointments_slot_live;
CREATE UNIQUE INDEX appointments_slot_live ON appointments (slot_id) WHERE live = 1 AND overbooked = 0;
