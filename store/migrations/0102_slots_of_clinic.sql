-- The slots of a trust's clinics by clinic and time. The booking page
-- asks for the free slots of one treatment function's clinics; with no
-- index that leads with the trust and the clinic, SQLite walked every
-- clinic's slots of twelve weeks in time order and looked up the
-- appointments of each.
CREATE INDEX slots_org_clinic_start ON slots (org_id, clinic_id, start_at);
