-- A FHIR search of patients sorted by birth date that no other index
-- leads (those born before a year, sorted from the latest) reads the
-- trust's patients in the order of their birth dates, then id
-- (crs.PatientScan's ByBirth), and stops once its page is found: the
-- index of birth dates gains the id, so that each page starts at its
-- cursor either way. It still finds the patients born on a day.
DROP INDEX patients_birth_date;
CREATE INDEX patients_birth_date ON patients (org_id, birth_date, id);
