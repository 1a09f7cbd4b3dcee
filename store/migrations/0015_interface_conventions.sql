-- Each inbound interface's own conventions: the receiving facility
-- values (MSH-6 or MSH-5) it uses for the trust, how it marks the NHS
-- number and its own patient number in PID-3 (JSON lists of
-- {"authority","type"}), what becomes of a message about a patient the
-- trust does not know ('' as before, 'register' or 'hold'), and whether
-- a code without a mapping refuses the message (strict = 1).
ALTER TABLE hl7_interfaces ADD COLUMN receiving_facilities TEXT NOT NULL DEFAULT '[]';
ALTER TABLE hl7_interfaces ADD COLUMN nhs_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE hl7_interfaces ADD COLUMN local_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE hl7_interfaces ADD COLUMN unknown_patient TEXT NOT NULL DEFAULT '';
ALTER TABLE hl7_interfaces ADD COLUMN strict INTEGER NOT NULL DEFAULT 0;
