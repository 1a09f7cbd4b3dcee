-- A FHIR search of patients sorted by family name that no index leads
-- (those of a town, by family name) reads the trust's patients in the
-- order of their family names as a search compares them (lower case,
-- accents taken off, every other character as written: match.Fold),
-- then id (crs.PatientScan's ByFamily), and stops once its page is
-- found, where it read every patient of the trust. The names are kept
-- folded beside the PMI's other name keys, in the order of their bytes
-- on either engine; those of the patients already registered are folded
-- by the migration's Go step.
-- begin sqlite
ALTER TABLE patients ADD COLUMN family_fold TEXT NOT NULL DEFAULT '';
-- end sqlite
-- begin postgres
ALTER TABLE patients ADD COLUMN family_fold TEXT COLLATE "C" NOT NULL DEFAULT '';
-- end postgres
CREATE INDEX patients_family_fold ON patients (org_id, family_fold, id);
