-- An RTT event recorded for a source record later entered in error (a
-- cancelled admission) is marked removed, not deleted, so a report can
-- still say what the record held at any past time.
ALTER TABLE rtt_events ADD COLUMN removed_at TEXT NOT NULL DEFAULT '';
