-- The message log lists a trust's messages newest first by their
-- time-ordered id and pages through them by id (keyset paging): this
-- index lets each page seek to its cursor instead of sorting the trust's
-- whole log.
CREATE INDEX hl7_messages_log_id ON hl7_messages (org_id, id);
