-- What the RTT returns report each pathway under, carried on its clock
-- course rows so that a return reads one table in pathway order with no
-- lookup per pathway: the pathway's PPI, patient (the surviving record
-- after a merge), treatment function, and the patient's registered GP
-- practice. The write path keeps them true in the transaction that
-- changes them (a course rewritten, a patient's GP practice changed, a
-- merge or unmerge moving the pathway); the Go step of this migration
-- (backfillCourseHeads) fills them for the rows already there.
ALTER TABLE rtt_clock_courses ADD COLUMN ppi TEXT NOT NULL DEFAULT '';
ALTER TABLE rtt_clock_courses ADD COLUMN patient_id TEXT NOT NULL DEFAULT '';
ALTER TABLE rtt_clock_courses ADD COLUMN treatment_function TEXT NOT NULL DEFAULT '';
ALTER TABLE rtt_clock_courses ADD COLUMN gp_practice_code TEXT NOT NULL DEFAULT '';
-- The returns read the courses, with what they are reported under, from
-- this index alone in pathway order (the one it replaces lacked them).
DROP INDEX rtt_clock_courses_versions;
CREATE INDEX rtt_clock_courses_heads ON rtt_clock_courses (org_id, pathway_id, recorded_at, superseded_at, ppi, patient_id, treatment_function, gp_practice_code, course);
-- PostgreSQL plans the returns of the courses standing now as a sort of
-- a scan of the whole table unless an index holds those rows alone in
-- pathway order; with this one they are an index-only scan, no sort.
-- begin postgres
CREATE INDEX rtt_clock_courses_now ON rtt_clock_courses (org_id, pathway_id) INCLUDE (ppi, patient_id, treatment_function, gp_practice_code, course) WHERE superseded_at = '';
-- end postgres
