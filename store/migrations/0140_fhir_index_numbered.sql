-- The search index of the resource store, in fewer bytes. Each row of
-- fhir_index named its resource by the trust's id, its type and its id
-- (36 + 11 + 36 characters), in the table and again in the index of its
-- kind: half of what an ingest wrote was those names. A resource's
-- current row now has a number, rid, given once when it is created and
-- never changed, and a trust a number, organisations.n; an index row
-- names its resource by rid and its trust by org_n. Its type and
-- parameter stay text (they are the terms searches are read by), so a
-- kind's index is still keyed by trust, type and parameter, and a
-- search reads the current rows of what it finds by their number.
--
-- The index's key on SQLite is (rid, n): a resource's rows together, in
-- the order resources are created, so an ingest appends. A search of one
-- type answers in the order its resources were created (rid), which a
-- search of a code reads from the code's index rows as they lie, and
-- one of no value from fhir_current_type (trust, type, rid).
--
-- On SQLite fhir_current is keyed by rid (an INTEGER PRIMARY KEY, which
-- VACUUM keeps), with the resource's type and id unique in its trust as
-- before. On PostgreSQL rid comes from the sequence fhir_rid, which
-- gives each OpenCRS process a block of 64 numbers at a time.
-- begin sqlite
ALTER TABLE organisations ADD COLUMN n INTEGER;
-- end sqlite
-- begin postgres
ALTER TABLE organisations ADD COLUMN n BIGINT;
-- end postgres
UPDATE organisations SET n = (SELECT COUNT(*) FROM organisations o
	WHERE o.created_at < organisations.created_at OR (o.created_at = organisations.created_at AND o.id <= organisations.id));
CREATE UNIQUE INDEX organisations_n ON organisations (n);
-- begin sqlite
CREATE TABLE fhir_current_numbered (
	rid           INTEGER PRIMARY KEY,
	org_id        TEXT NOT NULL,
	type          TEXT NOT NULL,
	id            TEXT NOT NULL,
	version       INTEGER NOT NULL,
	seq           TEXT NOT NULL,
	last_updated  TEXT NOT NULL,
	deleted       INTEGER NOT NULL DEFAULT 0,
	patient_id    TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL,
	UNIQUE (org_id, type, id)
);
INSERT INTO fhir_current_numbered (rid, org_id, type, id, version, seq, last_updated, deleted, patient_id, body)
	SELECT rowid, org_id, type, id, version, seq, last_updated, deleted, patient_id, body FROM fhir_current ORDER BY rowid;
DROP TABLE fhir_current;
ALTER TABLE fhir_current_numbered RENAME TO fhir_current;
CREATE INDEX fhir_current_updated ON fhir_current (org_id, type, last_updated);
CREATE INDEX fhir_current_patient ON fhir_current (org_id, patient_id, last_updated) WHERE patient_id <> '';
CREATE TABLE fhir_index_numbered (
	rid     INTEGER NOT NULL,
	org_n   INTEGER NOT NULL,
	type    TEXT NOT NULL,
	param   TEXT NOT NULL,
	system  TEXT NOT NULL DEFAULT '',
	code    TEXT NOT NULL DEFAULT '',
	text    TEXT NOT NULL DEFAULT '',
	lo      TEXT NOT NULL DEFAULT '',
	hi      TEXT NOT NULL DEFAULT '',
	num     DOUBLE PRECISION,
	n       INTEGER NOT NULL,
	PRIMARY KEY (rid, n)
) WITHOUT ROWID;
-- end sqlite
-- begin postgres
CREATE SEQUENCE fhir_rid INCREMENT BY 64;
ALTER TABLE fhir_current ADD COLUMN rid BIGINT;
UPDATE fhir_current c SET rid = r.rid FROM (SELECT org_id, type, id, row_number() OVER (ORDER BY seq, org_id, type, id) AS rid FROM fhir_current) r
	WHERE c.org_id = r.org_id AND c.type = r.type AND c.id = r.id;
SELECT setval('fhir_rid', COALESCE(MAX(rid), 0) + 1) FROM fhir_current;
ALTER TABLE fhir_current ALTER COLUMN rid SET NOT NULL;
CREATE UNIQUE INDEX fhir_current_rid ON fhir_current (rid);
CREATE TABLE fhir_index_numbered (
	rid     BIGINT NOT NULL,
	org_n   BIGINT NOT NULL,
	type    TEXT NOT NULL,
	param   TEXT NOT NULL,
	system  TEXT NOT NULL DEFAULT '',
	code    TEXT NOT NULL DEFAULT '',
	text    TEXT NOT NULL DEFAULT '',
	lo      TEXT NOT NULL DEFAULT '',
	hi      TEXT NOT NULL DEFAULT '',
	num     DOUBLE PRECISION,
	n       INTEGER NOT NULL
);
-- end postgres
INSERT INTO fhir_index_numbered (rid, org_n, type, param, system, code, text, lo, hi, num, n)
	SELECT c.rid, o.n, x.type, x.param, x.system, x.code, x.text, x.lo, x.hi, x.num, x.n
	FROM fhir_index x
	JOIN fhir_current c ON c.org_id = x.org_id AND c.type = x.type AND c.id = x.id
	JOIN organisations o ON o.id = x.org_id
	ORDER BY c.rid, x.n;
DROP TABLE fhir_index;
ALTER TABLE fhir_index_numbered RENAME TO fhir_index;
-- begin postgres
CREATE INDEX fhir_index_resource ON fhir_index (rid);
-- end postgres
CREATE INDEX fhir_current_type ON fhir_current (org_id, type, rid);
CREATE INDEX fhir_index_token ON fhir_index (org_n, type, param, code, system, rid) WHERE code <> '' AND text = '';
CREATE INDEX fhir_index_text ON fhir_index (org_n, type, param, text) WHERE text <> '' AND system = '';
CREATE INDEX fhir_index_date ON fhir_index (org_n, type, param, lo, hi) WHERE lo <> '';
CREATE INDEX fhir_index_refers ON fhir_index (org_n, text, system, type, rid, param) WHERE text <> '' AND system <> '';
