-- The FHIR resource store: every version of every resource of a trust,
-- the current version of each for reads and search, and the search
-- index built from the R4 search parameters. Times are the fixed-width
-- UTC text of 0001, so text order is time order.

-- Every version ever written; seq is the version's time-ordered key, the
-- order of history.
CREATE TABLE fhir_versions (
	seq           TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL,
	type          TEXT NOT NULL,
	id            TEXT NOT NULL,
	version       INTEGER NOT NULL,
	last_updated  TEXT NOT NULL,
	deleted       INTEGER NOT NULL DEFAULT 0,
	patient_id    TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL,
	event_id      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX fhir_versions_resource ON fhir_versions (org_id, type, id, version);
CREATE INDEX fhir_versions_org ON fhir_versions (org_id, seq);
CREATE INDEX fhir_versions_type ON fhir_versions (org_id, type, seq);

-- The current version of each resource.
CREATE TABLE fhir_current (
	org_id        TEXT NOT NULL,
	type          TEXT NOT NULL,
	id            TEXT NOT NULL,
	version       INTEGER NOT NULL,
	seq           TEXT NOT NULL,
	last_updated  TEXT NOT NULL,
	deleted       INTEGER NOT NULL DEFAULT 0,
	patient_id    TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL,
	PRIMARY KEY (org_id, type, id)
);
CREATE INDEX fhir_current_updated ON fhir_current (org_id, type, last_updated);

-- One row per value a search parameter takes in a current version.
-- token, uri: system and code; string: code as sent, text folded;
-- reference: code Type/id, system the type, text the id; date: lo..hi
-- (hi exclusive); number and quantity: num (quantity: system and code
-- its unit).
CREATE TABLE fhir_index (
	org_id  TEXT NOT NULL,
	type    TEXT NOT NULL,
	id      TEXT NOT NULL,
	param   TEXT NOT NULL,
	system  TEXT NOT NULL DEFAULT '',
	code    TEXT NOT NULL DEFAULT '',
	text    TEXT NOT NULL DEFAULT '',
	lo      TEXT NOT NULL DEFAULT '',
	hi      TEXT NOT NULL DEFAULT '',
	num     DOUBLE PRECISION
);
-- Each row is in the index of its kind only: a row's kind leaves the
-- other columns empty, so a partial index skips it.
CREATE INDEX fhir_index_resource ON fhir_index (org_id, type, id);
CREATE INDEX fhir_index_code ON fhir_index (org_id, type, param, code, system) WHERE code <> '';
CREATE INDEX fhir_index_text ON fhir_index (org_id, type, param, text) WHERE text <> '';
CREATE INDEX fhir_index_date ON fhir_index (org_id, type, param, lo, hi) WHERE lo <> '';
