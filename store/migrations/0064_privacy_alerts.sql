-- The privacy officer's alerts: accesses that need a look (self-claimed
-- relationships, break-glass, sealed records opened, staff opening their
-- own record or one at their own surname and postcode).
CREATE TABLE privacy_alerts (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES organisations (id),
	at          TEXT NOT NULL,
	kind        TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	username    TEXT NOT NULL,
	patient_id  TEXT NOT NULL,
	detail      TEXT NOT NULL,
	closed_at   TEXT NOT NULL DEFAULT '',
	closed_by   TEXT NOT NULL DEFAULT '',
	note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX privacy_alerts_open ON privacy_alerts (org_id, closed_at, at);
