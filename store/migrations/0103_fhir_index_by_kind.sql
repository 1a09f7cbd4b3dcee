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
-- ingest appends), and a search of a type's rows by their value reads
-- the index of the value's kind, never the table's rows of the type.
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
	PRIMARY KEY (org_id, id, type, n)
) WITHOUT ROWID;
INSERT INTO fhir_index_by_kind (org_id, type, id, param, system, code, text, lo, hi, num, n)
	SELECT org_id, type, id, param, system, code, text, lo, hi, num,
		row_number() OVER (PARTITION BY org_id, id, type ORDER BY rowid) - 1
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
-- SQLite plans a query by its statistics, and with none it takes an
-- equality on the first column of any index to leave ten rows: the
-- table's key (org_id) then looks as good as a kind's index and, holding
-- every column, better. The statistics of a trust's index (a million
-- resources, a dozen rows each; SQLite's documented manual statistics)
-- make a search read its kind's index; ANALYZE replaces them with the
-- database's own.
-- begin sqlite
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'fhir_index';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
	('fhir_index', 'sqlite_autoindex_fhir_index_1', '12000000 12000000 12 12 1'),
	('fhir_index', 'fhir_index_token', '6000000 6000000 600000 60000 50 50 1'),
	('fhir_index', 'fhir_index_text', '2000000 2000000 200000 20000 10'),
	('fhir_index', 'fhir_index_refers', '4000000 4000000 20 20 10 10 1'),
	('fhir_index', 'fhir_index_date', '1500000 1500000 150000 15000 50 50');
-- end sqlite
