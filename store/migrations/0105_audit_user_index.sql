-- The audit trail loses its index by user (org_id, user_id, at): no
-- query reads by it. A trail searched by agent matches the user's id or
-- username (either may be given), which neither engine answers from an
-- index of ids alone, so both read the trust's records by the chain's
-- index whatever this one holds; the privacy officer's volume alerts read
-- a week of a trust by time. Every audit record, above all the record of
-- each read of a patient's record, is one index entry fewer to write
-- (three B-trees on SQLite, the record and its patient and chain indexes,
-- where there were four).
DROP INDEX audit_user;
