-- Results as laboratories send them: the report's time, who ordered it,
-- its section and comments (NTE), and versions. A later report of the same
-- order (a final after a preliminary, a correction) replaces the current
-- one, which is kept, superseded, as its history.
ALTER TABLE results ADD COLUMN reported_at TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN ordered_by TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN section TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN comments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE results ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE results ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
ALTER TABLE results ADD COLUMN superseded_by TEXT NOT NULL DEFAULT '';

-- The current report of an order, found when the next one arrives.
CREATE INDEX results_order ON results (org_id, patient_id, order_key) WHERE superseded_by = '';
