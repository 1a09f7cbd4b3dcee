-- The message log's idempotency key and its control id search share one
-- index: every message is one index entry fewer to write when logged.
--
-- An inbound message's key (crs.MessageKey: trust, sending facility and
-- MSH-10) holds its control id, so the pair (control id, key) is unique
-- exactly when the key is, and a retry is found by its control id and
-- key. The analyst's search of the log by control id (MSH-10, inbound or
-- outbound) seeks the same index by its first column; the few messages
-- of any trust with that control id are then read for the trust's own.
-- Outbound messages and those tied to no sender have no key (NULL), and
-- NULLs are never equal, so they are indexed by control id alone.
DROP INDEX hl7_messages_key;
DROP INDEX hl7_messages_control;
CREATE UNIQUE INDEX hl7_messages_key ON hl7_messages (control_id, idem_key);

-- The log is listed newest first by the time each message was logged,
-- then by id, and searched by period, from one index: before, one index
-- listed it by id and another searched it by time. The worklist of
-- messages in error of an interface over a period keeps its own partial
-- index (messages in error only), now in the same order.
DROP INDEX hl7_messages_log;
DROP INDEX hl7_messages_log_id;
CREATE INDEX hl7_messages_log ON hl7_messages (org_id, created_at, id);
DROP INDEX hl7_messages_errors;
CREATE INDEX hl7_messages_errors ON hl7_messages (org_id, channel_id, created_at, id) WHERE status = 'error';
