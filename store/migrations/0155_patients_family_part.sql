-- A search by family name finds a patient by the last part of a family
-- name of several, hyphenated or spaced (Quinones finds Carreno
-- Quinones, Jones finds Smythe-Jones), as a clerk types either name of a
-- double-barrelled one and as R4 asks of a search by family name. The
-- part is kept normalised as family_norm is, beside it, for the names
-- of more than one part only; those of the patients already registered
-- are written by the migration's Go step.
ALTER TABLE patients ADD COLUMN family_part_norm TEXT NOT NULL DEFAULT '';
CREATE INDEX patients_family_part ON patients (org_id, family_part_norm, given_norm) WHERE family_part_norm <> '';
