-- The appointments of a slot, live or not. The unique index of a slot's
-- live appointment (appointments_slot_live) leaves out overbookings, so a
-- query asking whether a slot is taken (live = 1) cannot use it; the
-- booking page asks that of every slot of twelve weeks.
CREATE INDEX appointments_slot ON appointments (slot_id, live);
