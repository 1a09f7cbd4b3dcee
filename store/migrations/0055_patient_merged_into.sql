-- The records merged into a patient's are found from it (a FHIR Patient
-- shows them as replaces links on every read): an index of the few
-- merged records, by the record they were merged into.
CREATE INDEX patients_merged_into ON patients (org_id, merged_into) WHERE merged_into <> '';
