-- Access a clinician gave themselves with a reason: a self-claimed
-- relationship, a break-glass emergency access, the opening of a sealed
-- record; each lasts a set time. Seals are the restrictions on a
-- patient's record (a patient's request, or a sensitive category).
CREATE TABLE access_grants (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES organisations (id),
	user_id     TEXT NOT NULL,
	patient_id  TEXT NOT NULL,
	kind        TEXT NOT NULL,
	reason      TEXT NOT NULL,
	started_at  TEXT NOT NULL,
	ends_at     TEXT NOT NULL
);
CREATE INDEX access_grants_user ON access_grants (org_id, user_id, patient_id, ends_at);

CREATE TABLE patient_seals (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES organisations (id),
	patient_id  TEXT NOT NULL,
	category    TEXT NOT NULL,
	reason      TEXT NOT NULL,
	sealed_by   TEXT NOT NULL,
	sealed_at   TEXT NOT NULL,
	lifted_at   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX patient_seals_patient ON patient_seals (org_id, patient_id);
