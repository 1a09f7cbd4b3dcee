-- A request for a diagnostic test of the DM01 return, recorded by hand
-- (later from the orders of the clinical record): the test, when it was
-- requested, whether it is planned (a surveillance or repeat test due on
-- a date, not on the waiting list), and when it was done or cancelled.
CREATE TABLE diagnostic_requests (
	id             TEXT PRIMARY KEY,
	org_id         TEXT NOT NULL REFERENCES organisations (id),
	patient_id     TEXT NOT NULL REFERENCES patients (id),
	test           TEXT NOT NULL,
	requested_on   TEXT NOT NULL,
	planned        INTEGER NOT NULL DEFAULT 0,
	due_on         TEXT NOT NULL DEFAULT '',
	performed_on   TEXT NOT NULL DEFAULT '',
	cancelled_on   TEXT NOT NULL DEFAULT '',
	cancel_reason  TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL
);
CREATE INDEX diagnostic_requests_test ON diagnostic_requests (org_id, test, requested_on);
CREATE INDEX diagnostic_requests_patient ON diagnostic_requests (org_id, patient_id);

-- Each return generated for submission: what, for which period, in which
-- format, when and by whom, and the SHA-256 of the file.
CREATE TABLE report_submissions (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL REFERENCES organisations (id),
	report        TEXT NOT NULL,
	period        TEXT NOT NULL,
	format        TEXT NOT NULL,
	generated_at  TEXT NOT NULL,
	user_id       TEXT NOT NULL,
	username      TEXT NOT NULL,
	checksum      TEXT NOT NULL,
	bytes         INTEGER NOT NULL
);
CREATE INDEX report_submissions_org ON report_submissions (org_id, generated_at);
