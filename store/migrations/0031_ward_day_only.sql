-- A day-only ward is open for day cases only, not overnight: KH03 counts
-- its beds apart from the overnight beds of the midnight census.
ALTER TABLE locations ADD COLUMN day_only INTEGER NOT NULL DEFAULT 0;
