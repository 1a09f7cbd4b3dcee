-- A diagnostic request made by an order for a DM01 test names the order
-- (its ServiceRequest id): cancelling the order cancels the request and
-- its first result records the test done. '' for a request recorded by
-- hand.
ALTER TABLE diagnostic_requests ADD COLUMN order_id TEXT NOT NULL DEFAULT '';
CREATE INDEX diagnostic_requests_order ON diagnostic_requests (org_id, order_id);
