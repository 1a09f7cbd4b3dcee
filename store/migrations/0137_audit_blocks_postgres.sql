-- PostgreSQL writes the records of accesses in blocks too (see 0136):
-- the audit writer, which chains the reads, searches and refusals it is
-- handed as it writes them, writes each trust's records of a
-- transaction as blocks of audit_blocks, one link of the trust's chain
-- each, rather than a row of audit (a heap row and an entry in each of
-- audit's indexes) a record. PostgreSQL's server shares the hospital's
-- cores with OpenCRS, so what it is spared the readers of records are
-- given.
--
-- The columns are SQLite's. records stays text: a block's hash is over
-- its records' text as written, which a jsonb column would not keep; a
-- reader casts it (records::jsonb). Instead of SQLite's full-text index
-- a block names its records' patients (patients) and their users' ids
-- and names (users), each once, indexed by GIN: a patient's trail and a
-- user's read the blocks whose arrays hold them. The verification of
-- the chain checks each block's arrays against its records.
--
-- audit_trail is now every audit record as a row on both engines: the
-- table's and those in blocks.

-- begin postgres
CREATE TABLE audit_blocks (
	n         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_id    TEXT NOT NULL,
	seq       BIGINT NOT NULL,
	first_id  TEXT NOT NULL,
	last_id   TEXT NOT NULL,
	min_at    TEXT NOT NULL,
	max_at    TEXT NOT NULL,
	records   TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL,
	patients  TEXT[] NOT NULL,
	users     TEXT[] NOT NULL
);
CREATE UNIQUE INDEX audit_blocks_chain ON audit_blocks (org_id, seq);
CREATE INDEX audit_blocks_newest ON audit_blocks (org_id, last_id);
CREATE INDEX audit_blocks_at ON audit_blocks (org_id, max_at);
CREATE INDEX audit_blocks_patients ON audit_blocks USING GIN (patients);
CREATE INDEX audit_blocks_users ON audit_blocks USING GIN (users);
CREATE TRIGGER audit_blocks_append_only BEFORE UPDATE OR DELETE ON audit_blocks FOR EACH ROW EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER audit_blocks_no_truncate BEFORE TRUNCATE ON audit_blocks FOR EACH STATEMENT EXECUTE FUNCTION crs_append_only();
DROP VIEW audit_trail;
CREATE VIEW audit_trail AS SELECT id, org_id, at, user_id, username, role, patient_id, action, what, purpose, event_id FROM audit UNION ALL SELECT r.value ->> 0, b.org_id, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, '' FROM audit_blocks b, jsonb_array_elements(b.records::jsonb) r;
-- end postgres
