-- The GP practices a trust knows are listed (FHIR's Organization search)
-- from those it keeps (gp_practices) and those its patients are
-- registered with: this index holds each patient's practice, with the
-- name the record gives it, so that the distinct practices are read one
-- code at a time, an index seek each (ListGPPractices), rather than
-- every patient. The query states the same condition so that both
-- engines see the index serves it.
CREATE INDEX patients_gp_practice ON patients (org_id, gp_practice_code, gp_practice_name) WHERE gp_practice_code <> '';
