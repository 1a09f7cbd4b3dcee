-- An admission for first definitive treatment at which the intended
-- procedure was not carried out (RTT guidance s4.3.2.3): why, and the
-- clerk's note. The spell stays recorded; its RTT event becomes
-- "admitted, treatment not carried out" and the clock runs on.
ALTER TABLE spells ADD COLUMN not_done_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE spells ADD COLUMN not_done_note TEXT NOT NULL DEFAULT '';
