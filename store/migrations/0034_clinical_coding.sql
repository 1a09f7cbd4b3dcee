-- Clinical coding: each trust's code lists of ICD-10 diagnoses and OPCS-4
-- procedures (codes without the dot, as the CDS carries them), the codes
-- a clinical coder gave each finished consultant episode, and when and by
-- whom it was coded (empty: on the coding worklist once it has ended).
CREATE TABLE terminology_codes (
	org_id          TEXT NOT NULL,
	classification  TEXT NOT NULL,
	code            TEXT NOT NULL,
	description     TEXT NOT NULL,
	PRIMARY KEY (org_id, classification, code)
);

CREATE TABLE episode_codes (
	org_id          TEXT NOT NULL,
	episode_id      TEXT NOT NULL REFERENCES episodes (id),
	classification  TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	code            TEXT NOT NULL,
	procedure_date  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (episode_id, classification, seq)
);

ALTER TABLE episodes ADD COLUMN coded_at TEXT NOT NULL DEFAULT '';
ALTER TABLE episodes ADD COLUMN coded_by TEXT NOT NULL DEFAULT '';
CREATE INDEX episodes_coding ON episodes (org_id, coded_at, end_at);
CREATE INDEX episodes_ended ON episodes (org_id, end_at);
