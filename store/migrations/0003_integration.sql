-- Integration: inbound HL7 interfaces, outbound feeds (destinations),
-- the message log that is also the outbound queue (transactional outbox),
-- and results filed from ORU messages.

-- An inbound interface: a sending system recognised by MSH-3 and MSH-4,
-- whose messages carry the access of an interface user.
CREATE TABLE hl7_interfaces (
	id                   TEXT PRIMARY KEY,
	org_id               TEXT NOT NULL REFERENCES organisations (id),
	name                 TEXT NOT NULL,
	sending_application  TEXT NOT NULL,
	sending_facility     TEXT NOT NULL,
	user_id              TEXT NOT NULL REFERENCES users (id),
	enabled              INTEGER NOT NULL DEFAULT 1,
	created_at           TEXT NOT NULL,
	UNIQUE (org_id, sending_application, sending_facility)
);
CREATE INDEX hl7_interfaces_sender ON hl7_interfaces (sending_application, sending_facility);

-- An outbound feed. triggers is a space-separated list of trigger events
-- ('' for all).
CREATE TABLE hl7_destinations (
	id                     TEXT PRIMARY KEY,
	org_id                 TEXT NOT NULL REFERENCES organisations (id),
	name                   TEXT NOT NULL,
	addr                   TEXT NOT NULL,
	receiving_application  TEXT NOT NULL DEFAULT '',
	receiving_facility     TEXT NOT NULL DEFAULT '',
	triggers               TEXT NOT NULL DEFAULT '',
	use_a04                INTEGER NOT NULL DEFAULT 0,
	use_a08                INTEGER NOT NULL DEFAULT 0,
	suppress_interface_id  TEXT NOT NULL DEFAULT '',
	max_attempts           INTEGER NOT NULL DEFAULT 5,
	ack_timeout_ms         INTEGER NOT NULL DEFAULT 30000,
	enabled                INTEGER NOT NULL DEFAULT 1,
	created_at             TEXT NOT NULL,
	UNIQUE (org_id, name)
);

-- The message log. Inbound rows are keyed by idem_key (organisation,
-- sending facility and MSH-10) so a retry finds the first answer; it is
-- NULL for a message that could not be tied to a sender. Outbound rows
-- are also the queue: pending = 1 while queued or suspended, in id
-- (time) order per destination (channel_id).
CREATE TABLE hl7_messages (
	id                TEXT PRIMARY KEY,
	org_id            TEXT NOT NULL DEFAULT '',
	direction         TEXT NOT NULL,
	channel_id        TEXT NOT NULL DEFAULT '',
	idem_key          TEXT,
	sending_facility  TEXT NOT NULL DEFAULT '',
	control_id        TEXT NOT NULL DEFAULT '',
	message_type      TEXT NOT NULL DEFAULT '',
	status            TEXT NOT NULL,
	pending           INTEGER NOT NULL DEFAULT 0,
	ack_code          TEXT NOT NULL DEFAULT '',
	errors            TEXT NOT NULL DEFAULT '[]',
	ack               TEXT NOT NULL DEFAULT '',
	patient_id        TEXT NOT NULL DEFAULT '',
	nhs_number        TEXT NOT NULL DEFAULT '',
	mrn               TEXT NOT NULL DEFAULT '',
	event_id          TEXT NOT NULL DEFAULT '',
	raw               TEXT NOT NULL,
	attempts          INTEGER NOT NULL DEFAULT 0,
	next_attempt_at   TEXT NOT NULL DEFAULT '',
	last_error        TEXT NOT NULL DEFAULT '',
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
);
CREATE UNIQUE INDEX hl7_messages_key ON hl7_messages (idem_key);
CREATE INDEX hl7_messages_log ON hl7_messages (org_id, created_at);
CREATE INDEX hl7_messages_patient ON hl7_messages (org_id, patient_id);
CREATE INDEX hl7_messages_nhs ON hl7_messages (org_id, nhs_number);
CREATE INDEX hl7_messages_control ON hl7_messages (org_id, control_id);
CREATE INDEX hl7_messages_queue ON hl7_messages (channel_id, pending, id);

-- Results filed from ORU^R01: one row per OBR, its OBX values as JSON.
CREATE TABLE results (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	patient_id    TEXT NOT NULL REFERENCES patients (id),
	message_id    TEXT NOT NULL DEFAULT '',
	placer_order  TEXT NOT NULL DEFAULT '',
	filler_order  TEXT NOT NULL DEFAULT '',
	service_code  TEXT NOT NULL DEFAULT '',
	service_name  TEXT NOT NULL DEFAULT '',
	observed_at   TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT '',
	observations  TEXT NOT NULL DEFAULT '[]',
	created_at    TEXT NOT NULL
);
CREATE INDEX results_patient ON results (org_id, patient_id, observed_at);
