-- Why an inbound message is held (status 'held'): the code it needs
-- mapped (code_table, code), an unknown patient (code_table 'patient'),
-- or an earlier held message of the same patient (behind). The patient's
-- identifiers keep later messages of the same patient behind it. A row
-- is deleted when its message is applied.
CREATE TABLE hl7_holds (
	message_id    TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL,
	interface_id  TEXT NOT NULL,
	code_table    TEXT NOT NULL DEFAULT '',
	code          TEXT NOT NULL DEFAULT '',
	behind        TEXT NOT NULL DEFAULT '',
	nhs_number    TEXT NOT NULL DEFAULT '',
	mrn           TEXT NOT NULL DEFAULT '',
	xref          TEXT NOT NULL DEFAULT '',
	patient_id    TEXT NOT NULL DEFAULT '',
	created_at    TEXT NOT NULL
);
CREATE INDEX hl7_holds_interface ON hl7_holds (org_id, interface_id, message_id);
CREATE INDEX hl7_holds_code ON hl7_holds (org_id, interface_id, code_table, code);

-- Data-quality issues of inbound messages applied: a value no mapping
-- knew, stored as received (or as not known) in a non-key field. The
-- data-quality reports count them; the analyst maps the codes.
CREATE TABLE data_quality_issues (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	interface_id  TEXT NOT NULL DEFAULT '',
	message_id    TEXT NOT NULL DEFAULT '',
	patient_id    TEXT NOT NULL DEFAULT '',
	code_table    TEXT NOT NULL DEFAULT '',
	field         TEXT NOT NULL DEFAULT '',
	code          TEXT NOT NULL DEFAULT '',
	what          TEXT NOT NULL,
	created_at    TEXT NOT NULL
);
CREATE INDEX data_quality_issues_org ON data_quality_issues (org_id, created_at);
CREATE INDEX data_quality_issues_code ON data_quality_issues (org_id, interface_id, code_table, code);
CREATE INDEX data_quality_issues_patient ON data_quality_issues (org_id, patient_id);
