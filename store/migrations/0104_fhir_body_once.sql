-- A resource's body is kept once. The version that is current keeps an
-- empty body in fhir_versions and its body in fhir_current alone; when
-- a later version supersedes it, its body is copied into its version row
-- (store/resource.go). A read of a version takes the body from
-- fhir_current when the version row's is empty. Before, every create
-- wrote the body twice, and an ingest's page writes were mostly bodies.
-- On SQLite fhir_versions is WITHOUT ROWID, keyed by the resource and
-- version (a version row is small while its body is in fhir_current, so
-- it stays within its page): a version is in three B-trees (was five:
-- the table, its seq key, and the resource, trust and type indexes), and
-- a resource's history and a vread read the key. On PostgreSQL the
-- table is keyed by the trust and seq (a trust's history in order),
-- which serves what fhir_versions_org served: three indexes (was four).
-- begin sqlite
CREATE TABLE fhir_versions_keyed (
	seq           TEXT NOT NULL,
	org_id        TEXT NOT NULL,
	type          TEXT NOT NULL,
	id            TEXT NOT NULL,
	version       INTEGER NOT NULL,
	last_updated  TEXT NOT NULL,
	deleted       INTEGER NOT NULL DEFAULT 0,
	patient_id    TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL,
	event_id      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (org_id, type, id, version)
) WITHOUT ROWID;
INSERT INTO fhir_versions_keyed (seq, org_id, type, id, version, last_updated, deleted, patient_id, body, event_id)
	SELECT v.seq, v.org_id, v.type, v.id, v.version, v.last_updated, v.deleted, v.patient_id,
		CASE WHEN EXISTS (SELECT 1 FROM fhir_current c WHERE c.org_id = v.org_id AND c.type = v.type AND c.id = v.id
			AND c.version = v.version AND c.body = v.body) THEN '' ELSE v.body END,
		v.event_id
	FROM fhir_versions v;
DROP TABLE fhir_versions;
ALTER TABLE fhir_versions_keyed RENAME TO fhir_versions;
CREATE INDEX fhir_versions_org ON fhir_versions (org_id, seq);
CREATE INDEX fhir_versions_type ON fhir_versions (org_id, type, seq);
-- end sqlite
-- begin postgres
UPDATE fhir_versions v SET body = '' FROM fhir_current c
	WHERE c.org_id = v.org_id AND c.type = v.type AND c.id = v.id AND c.version = v.version AND c.body = v.body;
ALTER TABLE fhir_versions DROP CONSTRAINT fhir_versions_pkey;
ALTER TABLE fhir_versions ADD PRIMARY KEY (org_id, seq);
DROP INDEX IF EXISTS fhir_versions_org;
-- end postgres
