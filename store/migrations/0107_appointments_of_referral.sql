-- The appointments of a referral in time order. With the index of
-- referral_id alone SQLite, which keeps no statistics of the tables,
-- answered "the appointments of this referral, in time order" from the
-- index of the trust's appointments by start (appointments_start_id),
-- walking every appointment of the trust to spare itself a sort of a
-- handful; the booking page asks it each time it is shown.
CREATE INDEX appointments_referral_start ON appointments (referral_id, org_id, start_at, id);
DROP INDEX appointments_referral;
