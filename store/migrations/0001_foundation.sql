-- Foundation: organisations, locations, users, sessions, the patient index,
-- events and audit. Times are UTC text in a fixed-width ISO 8601 form so
-- that they sort and compare the same on SQLite and PostgreSQL.

CREATE TABLE organisations (
	id          TEXT PRIMARY KEY,
	ods_code    TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	mrn_prefix  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL
);

CREATE TABLE locations (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organisations (id),
	parent_id  TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL,
	code       TEXT NOT NULL,
	name       TEXT NOT NULL,
	specialty  TEXT NOT NULL DEFAULT '',
	active     INTEGER NOT NULL DEFAULT 1,
	UNIQUE (org_id, parent_id, code)
);
CREATE INDEX locations_kind ON locations (org_id, kind, code);

CREATE TABLE users (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES organisations (id),
	username       TEXT NOT NULL UNIQUE,
	name           TEXT NOT NULL,
	role           TEXT NOT NULL,
	password_hash  TEXT NOT NULL,
	disabled       INTEGER NOT NULL DEFAULT 0,
	created_at     TEXT NOT NULL
);
CREATE INDEX users_org ON users (org_id, username);

CREATE TABLE sessions (
	token_hash  TEXT PRIMARY KEY,
	user_id     TEXT NOT NULL REFERENCES users (id),
	csrf_token  TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Counters allocate numbers that must never be reused, such as hospital
-- numbers; a counter only goes up.
CREATE TABLE counters (
	org_id  TEXT NOT NULL,
	name    TEXT NOT NULL,
	value   BIGINT NOT NULL,
	PRIMARY KEY (org_id, name)
);

CREATE TABLE patients (
	id                TEXT PRIMARY KEY,
	org_id            TEXT NOT NULL REFERENCES organisations (id),
	mrn               TEXT NOT NULL,
	nhs_number        TEXT NOT NULL DEFAULT '',
	nhs_status        TEXT NOT NULL,
	title             TEXT NOT NULL DEFAULT '',
	given_name        TEXT NOT NULL,
	other_names       TEXT NOT NULL DEFAULT '',
	family_name       TEXT NOT NULL,
	birth_date        TEXT NOT NULL,
	gender            TEXT NOT NULL,
	address_lines     TEXT NOT NULL DEFAULT '[]',
	postcode          TEXT NOT NULL DEFAULT '',
	phone             TEXT NOT NULL DEFAULT '',
	mobile            TEXT NOT NULL DEFAULT '',
	email             TEXT NOT NULL DEFAULT '',
	contacts          TEXT NOT NULL DEFAULT '[]',
	gp_code           TEXT NOT NULL DEFAULT '',
	gp_name           TEXT NOT NULL DEFAULT '',
	gp_practice_code  TEXT NOT NULL DEFAULT '',
	gp_practice_name  TEXT NOT NULL DEFAULT '',
	ethnic_category   TEXT NOT NULL DEFAULT '',
	death_time        TEXT NOT NULL DEFAULT '',
	merged_into       TEXT NOT NULL DEFAULT '',
	version           INTEGER NOT NULL,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL,
	-- search keys, derived from the names and postcode on every write
	family_norm       TEXT NOT NULL,
	family_key        TEXT NOT NULL,
	given_norm        TEXT NOT NULL,
	postcode_norm     TEXT NOT NULL DEFAULT '',
	UNIQUE (org_id, mrn)
);
CREATE INDEX patients_nhs ON patients (org_id, nhs_number);
CREATE INDEX patients_family_key ON patients (org_id, family_key, birth_date);
CREATE INDEX patients_family_norm ON patients (org_id, family_norm, given_norm);
CREATE INDEX patients_birth_date ON patients (org_id, birth_date);

-- Identifiers a patient holds besides their own hospital and NHS number:
-- those that moved to them in a merge, and other systems' numbers.
CREATE TABLE patient_identifiers (
	org_id             TEXT NOT NULL,
	kind               TEXT NOT NULL,
	value              TEXT NOT NULL,
	patient_id         TEXT NOT NULL REFERENCES patients (id),
	origin_patient_id  TEXT NOT NULL,
	PRIMARY KEY (org_id, kind, value, patient_id)
);
CREATE INDEX patient_identifiers_patient ON patient_identifiers (patient_id);

-- Events are appended and never changed.
CREATE TABLE events (
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
);
CREATE INDEX events_patient ON events (org_id, patient_id, id);
CREATE INDEX events_subject ON events (org_id, subject_id, id);

-- The audit trail: every read and change of a patient's record.
CREATE TABLE audit (
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
);
CREATE INDEX audit_patient ON audit (org_id, patient_id, at);
CREATE INDEX audit_user ON audit (org_id, user_id, at);
