-- The audit trail and the event history are append-only in the database
-- itself: a trigger refuses every UPDATE and DELETE of their rows (and on
-- PostgreSQL every TRUNCATE), whoever runs it. Nothing in OpenCRS changes
-- or deletes them; a merge or unmerge appends events of its own, a
-- reprocessed message appends new events, an import only inserts.
--
-- On PostgreSQL a table's owner can still drop a trigger. Run OpenCRS as
-- a role that does not own the tables, and take the right away there too
-- (see "Audit trail" in the README):
--
--   REVOKE UPDATE, DELETE, TRUNCATE ON audit, events, audit_heads FROM crs_app;
--   GRANT SELECT, INSERT ON audit, events TO crs_app;
--   GRANT SELECT, INSERT, UPDATE ON audit_heads TO crs_app;

-- begin sqlite
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: an audit record is never changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: an audit record is never deleted'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the event history is append-only: an event is never changed'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the event history is append-only: an event is never deleted'); END;
-- end sqlite

-- begin postgres
CREATE FUNCTION crs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'table % is append-only: its rows are never changed or deleted', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION crs_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION crs_append_only();
-- end postgres
