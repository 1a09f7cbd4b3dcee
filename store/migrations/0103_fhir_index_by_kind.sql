-- Each row of the search index goes into the one index its kind's
-- searches read, so an ingest writes far fewer B-tree entries per row:
--   token, uri, quantity (and a reference that names no resource type):
--       code <> '' AND text = ''      fhir_index_token
--   string, a token's :text:           text <> '' AND system = ''    fhir_index_text
--   reference to Type/id:              text <> '' AND system <> ''   fhir_index_refers
--   date:                              lo <> ''                      fhir_index_date
-- Before, a reference row was in five B-trees (the table, the resource
-- index, the code, text and refers indexes) and a token row in four.
-- fhir_index_refers holds references only, keyed by the target's id then
-- its type (a search by id alone or by Type/id, a patient's compartment),
-- and covers what those read (a reference row's code is Type/id of its
-- text and system, so they need not read it).
-- n numbers a resource's rows; on SQLite the table is keyed by the
-- resource and n (WITHOUT ROWID), so the table is the resource index.
-- The key starts with the id (minted ids are in time order, so an
-- ingest appends) and names the trust last: SQLite has no statistics of
-- these tables (nothing runs ANALYZE) and with none takes an equality on
-- the first column of any index to leave ten rows, so a key starting
-- (org_id, type), holding every column, looked better to it than a
-- kind's index for every search of a type. A search of a condition no
-- index serves (a number) reads each resource's rows by the key.
-- begin sqlite
CREATE TABLE fhir_index_by_kind (
	org_id  TEXT NOT NULL,
	type    TEXT NOT NULL,
	id      TEXT NOT NULL,
	param   TEXT NOT NULL,
	system  TEXT NOT NULL DEFAULT '',
	code    TEXT NOT NULL DEFAULT '',
	text    TEXT NOT NULL DEFAULT '',
	lo      TEXT NOT NULL DEFAULT '',
	hi      TEXT NOT NULL DEFAULT '',
	num     DOUBLE PRECISION,
	n       INTEGER NOT NULL,
	PRIMARY KEY (id, type, org_id, n)
) WITHOUT ROWID;
INSERT INTO fhir_index_by_kind (org_id, type, id, param, system, code, text, lo, hi, num, n)
	SELECT org_id, type, id, param, system, code, text, lo, hi, num,
		row_number() OVER (PARTITION BY id, type, org_id ORDER BY rowid) - 1
	FROM fhir_index;
DROP TABLE fhir_index;
ALTER TABLE fhir_index_by_kind RENAME TO fhir_index;
-- end sqlite
-- begin postgres
ALTER TABLE fhir_index ADD COLUMN n INTEGER NOT NULL DEFAULT 0;
DROP INDEX fhir_index_token;
DROP INDEX fhir_index_text;
DROP INDEX fhir_index_date;
DROP INDEX fhir_index_refers;
-- end postgres
CREATE INDEX fhir_index_token ON fhir_index (org_id, type, param, code, system, id) WHERE code <> '' AND text = '';
CREATE INDEX fhir_index_text ON fhir_index (org_id, type, param, text) WHERE text <> '' AND system = '';
CREATE INDEX fhir_index_date ON fhir_index (org_id, type, param, lo, hi) WHERE lo <> '';
CREATE INDEX fhir_index_refers ON fhir_index (org_id, text, system, type, id, param) WHERE text <> '' AND system <> '';
