-- What the trust last sent SUS of each Commissioning Data Set record: its
-- CDS UNIQUE IDENTIFIER, the activity date it belongs to, a checksum of
-- the record as sent and whether it was a deletion. A net change extract
-- sends a record again only when its checksum changed, and a deletion
-- for one sent before that is no longer there.
CREATE TABLE cds_sent (
	org_id         TEXT NOT NULL,
	cds_type       TEXT NOT NULL,
	unique_id      TEXT NOT NULL,
	activity_date  TEXT NOT NULL,
	checksum       TEXT NOT NULL,
	deleted        INTEGER NOT NULL DEFAULT 0,
	sent_at        TEXT NOT NULL,
	PRIMARY KEY (org_id, cds_type, unique_id)
);
CREATE INDEX cds_sent_period ON cds_sent (org_id, cds_type, activity_date);

-- The extracts read a period's activity by its date.
CREATE INDEX ed_attendances_arrived ON ed_attendances (org_id, arrived_at);
CREATE INDEX appointments_start ON appointments (org_id, start_at);
