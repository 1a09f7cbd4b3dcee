-- The bed board reads the stays patients are in now; this index finds
-- them without reading every stay of the trust's history, and the
-- ward and bed pickers read the beds taken from the index alone.
CREATE INDEX bed_stays_current ON bed_stays (org_id, ward_id, bed_id, spell_id) WHERE is_current = 1;
