-- The write path touches fewer B-trees per message.
--
-- On SQLite the event history and the audit trail, appended to and never
-- changed, become WITHOUT ROWID tables: a row lives in the B-tree of its
-- time-ordered id, not in a table B-tree beside an index of ids, so each
-- event and each audit record is one B-tree write fewer. PostgreSQL has
-- no rowid and keeps its tables as they are.
--
-- The delivery index of outbound queues holds outbound messages only:
-- every query of a destination's queue says direction = 'out', and the
-- inbound messages, the most of the log, no longer each add an entry.

-- begin sqlite
CREATE TABLE events_new (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL,
	type          TEXT NOT NULL,
	patient_id    TEXT NOT NULL DEFAULT '',
	subject_id    TEXT NOT NULL DEFAULT '',
	user_id       TEXT NOT NULL,
	username      TEXT NOT NULL,
	role          TEXT NOT NULL,
	recorded_at   TEXT NOT NULL,
	effective_at  TEXT NOT NULL,
	summary       TEXT NOT NULL DEFAULT '',
	data          TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
INSERT INTO events_new (id, org_id, type, patient_id, subject_id, user_id, username, role, recorded_at, effective_at, summary, data)
	SELECT id, org_id, type, patient_id, subject_id, user_id, username, role, recorded_at, effective_at, summary, data FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_patient ON events (org_id, patient_id, id);
CREATE INDEX events_subject ON events (org_id, subject_id, id);

CREATE TABLE audit_new (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL,
	at          TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	username    TEXT NOT NULL,
	role        TEXT NOT NULL,
	patient_id  TEXT NOT NULL DEFAULT '',
	action      TEXT NOT NULL,
	what        TEXT NOT NULL DEFAULT '',
	purpose     TEXT NOT NULL DEFAULT '',
	event_id    TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
INSERT INTO audit_new (id, org_id, at, user_id, username, role, patient_id, action, what, purpose, event_id)
	SELECT id, org_id, at, user_id, username, role, patient_id, action, what, purpose, event_id FROM audit;
DROP TABLE audit;
ALTER TABLE audit_new RENAME TO audit;
CREATE INDEX audit_patient ON audit (org_id, patient_id, at);
CREATE INDEX audit_user ON audit (org_id, user_id, at);
-- end sqlite

DROP INDEX hl7_messages_delivery;
CREATE INDEX hl7_messages_delivery ON hl7_messages (channel_id, pending, seq) WHERE direction = 'out';
