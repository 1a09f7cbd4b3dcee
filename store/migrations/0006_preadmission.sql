-- Planned admissions (pre-admissions, HL7 ADT A05 and A38) and the
-- trust's own visit numbers (HL7 PV1-19).
--
-- A visit number is "V" and eight digits, allocated per trust from the
-- counter named 'visit' and never reused. A pre-admission takes one when
-- recorded; the spell it becomes keeps it; any other spell takes one at
-- admission. Spells admitted before this migration are numbered here in
-- order of admission, and the counter starts after them.

CREATE TABLE preadmissions (
	id                  TEXT PRIMARY KEY,
	org_id              TEXT NOT NULL REFERENCES organisations (id),
	patient_id          TEXT NOT NULL REFERENCES patients (id),
	entry_id            TEXT NOT NULL DEFAULT '',
	visit_number        TEXT NOT NULL,
	expected_on         TEXT NOT NULL DEFAULT '',
	expected_at         TEXT NOT NULL DEFAULT '',
	ward_id             TEXT NOT NULL DEFAULT '',
	ward_code           TEXT NOT NULL DEFAULT '',
	consultant_code     TEXT NOT NULL DEFAULT '',
	admission_method    TEXT NOT NULL,
	patient_class       TEXT NOT NULL DEFAULT '1',
	treatment_function  TEXT NOT NULL DEFAULT '',
	source_visit        TEXT NOT NULL DEFAULT '',
	source_facility     TEXT NOT NULL DEFAULT '',
	status              TEXT NOT NULL,
	spell_id            TEXT NOT NULL DEFAULT '',
	cancel_reason       TEXT NOT NULL DEFAULT '',
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL
);
CREATE INDEX preadmissions_patient ON preadmissions (org_id, patient_id, status);
CREATE UNIQUE INDEX preadmissions_visit ON preadmissions (org_id, visit_number);
CREATE INDEX preadmissions_entry ON preadmissions (org_id, entry_id);
CREATE INDEX preadmissions_spell ON preadmissions (org_id, spell_id);

ALTER TABLE spells ADD COLUMN visit_number TEXT NOT NULL DEFAULT '';

UPDATE spells SET visit_number = 'V' || substr(CAST(100000000 + n.seq AS TEXT), 2)
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY admitted_at, id) AS seq FROM spells) n
WHERE spells.id = n.id;

INSERT INTO counters (org_id, name, value)
SELECT o.id, 'visit', (SELECT COUNT(*) FROM spells s WHERE s.org_id = o.id) FROM organisations o WHERE true
ON CONFLICT (org_id, name) DO NOTHING;

CREATE INDEX spells_visit ON spells (org_id, visit_number);
