-- The bed board reads the stays patients are in now; this index finds
-- them without reading every stay of the trust's history.
CREATE INDEX bed_stays_current ON bed_stays (org_id, ward_id) WHERE is_current = 1;
