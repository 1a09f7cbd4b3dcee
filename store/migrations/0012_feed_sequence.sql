-- The delivery order of the outbound queues (see store/feed_sequence.go).
-- seq is the message's place in delivery order, across destinations;
-- NULL for a queued message not yet given its place, and for inbound
-- messages. Senders read only messages with a place, in seq order.
ALTER TABLE hl7_messages ADD COLUMN seq BIGINT;

-- The messages already queued keep their id order; those already sent
-- or skipped need no place.
UPDATE hl7_messages SET seq = (SELECT COUNT(*) FROM hl7_messages q WHERE q.direction = 'out' AND q.pending = 1 AND q.id <= hl7_messages.id)
	WHERE direction = 'out' AND pending = 1;
UPDATE hl7_messages SET seq = 0 WHERE direction = 'out' AND pending = 0;

DROP INDEX hl7_messages_queue;
CREATE INDEX hl7_messages_delivery ON hl7_messages (channel_id, pending, seq);
CREATE INDEX hl7_messages_unsequenced ON hl7_messages (id) WHERE seq IS NULL AND direction = 'out';
CREATE INDEX hl7_messages_seq ON hl7_messages (seq) WHERE seq IS NOT NULL;
