-- An interface analyst reprocesses the messages of one inbound interface
-- still in error over a period, oldest first, and filters the log by
-- interface and status error: this index finds them without reading the
-- trust's whole log for the period. It holds only the messages in error,
-- so the messages applied (nearly all) cost it nothing when logged.
CREATE INDEX hl7_messages_errors ON hl7_messages (org_id, channel_id, id) WHERE status = 'error';
