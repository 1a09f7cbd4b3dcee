-- The audit trail is tamper-evident: each audit record is chained to the
-- one before it in its trust by a SHA-256 hash (see store/audit_chain.go).
--
-- seq numbers a trust's records 1, 2, 3 ... in the order they were
-- chained; prev_hash is the hash of the record before (empty for the
-- first) and hash the record's own, over prev_hash, seq and every field.
-- audit_heads holds each trust's last seq and hash: a writer locks its
-- trust's head row, so concurrent writers of one trust are chained one
-- after another, and a record deleted from the end is found missing.
--
-- The records already written when this migration runs are chained by
-- the migration itself, in the order they were written (time, then id),
-- before the next migration makes the table append-only.

-- begin sqlite
ALTER TABLE audit ADD COLUMN seq INTEGER;
-- end sqlite
-- begin postgres
ALTER TABLE audit ADD COLUMN seq BIGINT;
-- end postgres
ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX audit_chain ON audit (org_id, seq);

CREATE TABLE audit_heads (
	org_id  TEXT PRIMARY KEY,
	seq     BIGINT NOT NULL,
	hash    TEXT NOT NULL
);
