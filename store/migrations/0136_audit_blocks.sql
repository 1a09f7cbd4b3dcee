-- On SQLite the records of accesses the committer writes (a read, a
-- search, a refusal: a record with no event and no list of patients
-- beside it) are written a block a commit: for each trust with such
-- records in the commit, one row of audit_blocks holding them as a JSON
-- array, each record an array of its id, at, user_id, username, role,
-- patient_id, action, what and purpose (its trust is the block's, and
-- it has no event). A record a row cost the committer some 13 us, a
-- third of a FHIR read's CPU; in a block it costs the writing of its
-- text.
--
-- A block is one link of its trust's chain: it takes one seq, and its
-- hash covers the chain before it, its seq, its trust and its records'
-- text as stored. Its records' ids are given as the block is written,
-- so they rise through a block and from one block to the next:
-- first_id and last_id bound them, and min_at and max_at bound the
-- times the accesses were made. The verification of the chain checks
-- those bounds against the records.
--
-- audit_block_terms indexes each block by the patients its records name
-- (the term p and the patient's id in hexadecimal) and by their users
-- (u and the user's id or name in hexadecimal): a patient's trail and
-- a user's are read from the blocks that hold them. The committer writes
-- a block's terms with it, in its transaction.
--
-- audit_trail is every audit record as a row: the table's and, on
-- SQLite, those in blocks. PostgreSQL writes a record a row (each
-- backend writes its own beside the others), so there it is the table.

-- begin sqlite
CREATE TABLE audit_blocks (
	n         INTEGER PRIMARY KEY,
	org_id    TEXT NOT NULL,
	seq       INTEGER NOT NULL,
	first_id  TEXT NOT NULL,
	last_id   TEXT NOT NULL,
	min_at    TEXT NOT NULL,
	max_at    TEXT NOT NULL,
	records   TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash      TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_blocks_chain ON audit_blocks (org_id, seq);
CREATE INDEX audit_blocks_newest ON audit_blocks (org_id, last_id);
CREATE INDEX audit_blocks_at ON audit_blocks (org_id, max_at);
CREATE VIRTUAL TABLE audit_block_terms USING fts5(t, n UNINDEXED, content='', contentless_unindexed=1, columnsize=0, detail=none);
CREATE TRIGGER audit_blocks_no_update BEFORE UPDATE ON audit_blocks BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a block of records is never changed'); END;
CREATE TRIGGER audit_blocks_no_delete BEFORE DELETE ON audit_blocks BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: a block of records is never deleted'); END;
CREATE VIEW audit_trail AS SELECT id, org_id, at, user_id, username, role, patient_id, action, what, purpose, event_id FROM audit UNION ALL SELECT r.value ->> 0, b.org_id, r.value ->> 1, r.value ->> 2, r.value ->> 3, r.value ->> 4, r.value ->> 5, r.value ->> 6, r.value ->> 7, r.value ->> 8, '' FROM audit_blocks b, json_each(b.records) r;
-- end sqlite
-- begin postgres
CREATE VIEW audit_trail AS SELECT id, org_id, at, user_id, username, role, patient_id, action, what, purpose, event_id FROM audit;
-- end postgres
