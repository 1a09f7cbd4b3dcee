-- A FHIR search of patients sorted by given name that no index leads
-- (those of a town, by given name) reads the trust's patients in the
-- order of their given names as a search compares them (match.Fold),
-- then id (crs.PatientScan's ByGiven), and stops once its page is found,
-- where it read every patient of the trust. A search sorts a patient by
-- the given or middle name that comes first in the sort's order: the
-- least of them from the first (given_fold_first), the greatest from the
-- last (given_fold_last). Both are kept folded beside the PMI's other
-- name keys, in the order of their bytes on either engine; those of the
-- patients already registered are folded by the migration's Go step.
-- begin sqlite
ALTER TABLE patients ADD COLUMN given_fold_first TEXT NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN given_fold_last TEXT NOT NULL DEFAULT '';
-- end sqlite
-- begin postgres
ALTER TABLE patients ADD COLUMN given_fold_first TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE patients ADD COLUMN given_fold_last TEXT COLLATE "C" NOT NULL DEFAULT '';
-- end postgres
CREATE INDEX patients_given_fold_first ON patients (org_id, given_fold_first, id);
CREATE INDEX patients_given_fold_last ON patients (org_id, given_fold_last, id);
