-- Failed logins are counted per account: after a few in a row each next
-- attempt must wait longer, and after LoginFailuresLockout the account
-- is locked until an administrator unlocks it. A login that succeeds
-- starts the count again.
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_failed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
