-- The appointments an external booking system made through SIU messages,
-- by the id it knows them by (SCH-2, else SCH-1), so its reschedules,
-- cancellations and no-shows find them. A reschedule makes a new
-- appointment: the link moves to it.
CREATE TABLE appointment_links (
	org_id          TEXT NOT NULL REFERENCES organisations (id),
	facility        TEXT NOT NULL,
	external_id     TEXT NOT NULL,
	appointment_id  TEXT NOT NULL REFERENCES appointments (id),
	linked_at       TEXT NOT NULL,
	PRIMARY KEY (org_id, facility, external_id)
);
