-- A search by any part of a name (FHIR's Patient?name=, which R4 matches
-- in every part of a HumanName, and ?given=, every given name) finds a
-- patient by a middle name or a title too: these indexes hold the
-- patients that have one, lower-cased as written, and a search reads
-- those whose first middle name or title starts with what was typed.
-- The query states the same conditions (searchNamePart) so that both
-- engines see the indexes serve it.
CREATE INDEX patients_other_names ON patients (org_id, lower(other_names)) WHERE other_names <> '';
CREATE INDEX patients_title ON patients (org_id, lower(title)) WHERE title <> '';
