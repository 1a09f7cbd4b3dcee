-- Each inbound interface's translation tables: the sender's code
-- (from_code) in a table (location, consultant, admission_method, ...)
-- means our code (to_code). Outbound feeds read them in reverse.
CREATE TABLE hl7_code_maps (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	interface_id  TEXT NOT NULL REFERENCES hl7_interfaces (id),
	code_table    TEXT NOT NULL,
	from_code     TEXT NOT NULL,
	to_code       TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	UNIQUE (org_id, interface_id, code_table, from_code)
);
CREATE INDEX hl7_code_maps_reverse ON hl7_code_maps (org_id, interface_id, code_table, to_code);
