-- On PostgreSQL a command no longer chains its audit records itself: it
-- writes them unchained (seq NULL, prev_hash and hash empty) with xid,
-- the id of the transaction that wrote them, and the chainer
-- (store/audit_chainer.go) gives committed records their places in the
-- chain afterwards. Commands of a trust thus no longer wait on the
-- trust's chain head one after another until each has committed.
--
-- The audit trail stays append-only: the trigger now lets one change
-- through, an unchained record written by a command being chained, every
-- other field left as it was. SQLite's single writer chains records as it
-- writes them, as before.

-- begin sqlite
ALTER TABLE audit ADD COLUMN xid INTEGER;
-- end sqlite
-- begin postgres
ALTER TABLE audit ADD COLUMN xid xid8;
CREATE INDEX audit_unchained ON audit (org_id, xid) WHERE seq IS NULL;
CREATE FUNCTION crs_audit_chain_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND OLD.xid IS NOT NULL AND NEW.seq IS NOT NULL AND (NEW.id, NEW.org_id, NEW.at, NEW.user_id, NEW.username, NEW.role, NEW.patient_id, NEW.action, NEW.what, NEW.purpose, NEW.event_id, NEW.xid) IS NOT DISTINCT FROM (OLD.id, OLD.org_id, OLD.at, OLD.user_id, OLD.username, OLD.role, OLD.patient_id, OLD.action, OLD.what, OLD.purpose, OLD.event_id, OLD.xid) THEN RETURN NEW; END IF; RAISE EXCEPTION 'table % is append-only: its rows are never changed or deleted', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;
DROP TRIGGER audit_append_only ON audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION crs_audit_chain_only();
-- end postgres
