-- The Emergency Care Data Set items the A&E screens record beside arrival
-- mode and discharge destination: attendance category, chief complaint and
-- acuity (SNOMED CT) at arrival and triage, discharge status at departure.
ALTER TABLE ed_attendances ADD COLUMN attendance_category TEXT NOT NULL DEFAULT '';
ALTER TABLE ed_attendances ADD COLUMN chief_complaint TEXT NOT NULL DEFAULT '';
ALTER TABLE ed_attendances ADD COLUMN acuity TEXT NOT NULL DEFAULT '';
ALTER TABLE ed_attendances ADD COLUMN discharge_status TEXT NOT NULL DEFAULT '';
