-- Bulk Data exports ($export) a system asked for, and the ndjson files
-- they wrote, kept so that an export survives a restart.
CREATE TABLE fhir_exports (
	id           TEXT PRIMARY KEY,
	org_id       TEXT NOT NULL REFERENCES organisations (id),
	actor        TEXT NOT NULL,
	grant_scopes TEXT NOT NULL,
	level        TEXT NOT NULL,
	group_id     TEXT NOT NULL DEFAULT '',
	types        TEXT NOT NULL DEFAULT '',
	since        TEXT NOT NULL DEFAULT '',
	request      TEXT NOT NULL,
	status       TEXT NOT NULL,
	progress     TEXT NOT NULL DEFAULT '',
	error        TEXT NOT NULL DEFAULT '',
	requested_at TEXT NOT NULL,
	finished_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX fhir_exports_pending ON fhir_exports (status);

CREATE TABLE fhir_export_files (
	export_id TEXT NOT NULL REFERENCES fhir_exports (id) ON DELETE CASCADE,
	seq       INTEGER NOT NULL,
	type      TEXT NOT NULL,
	count     INTEGER NOT NULL,
	body      TEXT NOT NULL,
	PRIMARY KEY (export_id, seq)
);
