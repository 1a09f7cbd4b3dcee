-- Clinical documents other systems file to a patient's record (MDM):
-- letters, discharge summaries, reports. Each version is a row: a
-- replacement supersedes the current version, which is kept as history;
-- a cancelled document stays, marked. content holds a PDF or other file
-- sent in the message; text the text; reference a pointer to a document
-- kept in its own system.
CREATE TABLE clinical_documents (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES organisations (id),
	patient_id     TEXT NOT NULL REFERENCES patients (id),
	message_id     TEXT NOT NULL DEFAULT '',
	number         TEXT NOT NULL,
	parent_number  TEXT NOT NULL DEFAULT '',
	type_code      TEXT NOT NULL DEFAULT '',
	type_name      TEXT NOT NULL DEFAULT '',
	title          TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL DEFAULT '',
	availability   TEXT NOT NULL DEFAULT '',
	author         TEXT NOT NULL DEFAULT '',
	authenticator  TEXT NOT NULL DEFAULT '',
	written_at     TEXT NOT NULL DEFAULT '',
	content_type   TEXT NOT NULL,
	text           TEXT NOT NULL DEFAULT '',
	content        BLOB,
	size           INTEGER NOT NULL DEFAULT 0,
	reference      TEXT NOT NULL DEFAULT '',
	version        INTEGER NOT NULL DEFAULT 1,
	replaces       TEXT NOT NULL DEFAULT '',
	superseded_by  TEXT NOT NULL DEFAULT '',
	state          TEXT NOT NULL DEFAULT 'current',
	cancel_reason  TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL
);
CREATE INDEX clinical_documents_patient ON clinical_documents (org_id, patient_id, written_at);
CREATE INDEX clinical_documents_number ON clinical_documents (org_id, patient_id, number) WHERE superseded_by = '';
