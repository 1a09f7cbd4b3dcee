-- The clinical record's resources about a stay (a discharge summary's
-- Composition and DocumentReference, the vital signs recorded during
-- it) referred to the stay as Encounter/[spell id], which no read finds:
-- the API serves a spell as Encounter/ip-[spell id]. Written since with
-- the served id, those written before are mended by the migration's Go
-- step (store/resource_stay_refs.go): in each body, current and of every
-- version, and in the search index, in place, as the reference should
-- always have read; a resource store Encounter of that id, were there
-- one, keeps the references to it.
SELECT 1;
