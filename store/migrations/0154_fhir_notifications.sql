-- The queue of FHIR Subscription notifications: a version of a resource
-- a Subscription's criteria matched when it was written, queued in the
-- same transaction as the write, so a change and its notification commit
-- together or not at all. The sender delivers each subscription's in the
-- order they were queued (id, time-ordered) and takes a delivered one
-- off the queue; a failed try waits until next_attempt_at.
CREATE TABLE fhir_notifications (
	id               TEXT PRIMARY KEY,
	org_id           TEXT NOT NULL,
	subscription_id  TEXT NOT NULL,
	resource_type    TEXT NOT NULL,
	resource_id      TEXT NOT NULL,
	version          INTEGER NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	next_attempt_at  TEXT NOT NULL DEFAULT '',
	last_error       TEXT NOT NULL DEFAULT '',
	created_at       TEXT NOT NULL
);
CREATE INDEX fhir_notifications_subscription ON fhir_notifications (org_id, subscription_id, id);
