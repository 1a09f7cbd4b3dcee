-- The course of each RTT pathway's clock, kept by the write path in the
-- same transaction as every RTT event recorded or removed: one row per
-- version of the pathway's events, holding from recorded_at until
-- superseded_at ('' for the version standing now), whose course says
-- period by period what the clock said as of any date (start, stop and
-- its kind, wait, decision to admit, nullified, handed on, and the
-- treatment function a completed period is reported under). The RTT
-- returns read one row per pathway from it instead of working every
-- clock out from the events; the events stay the record and the
-- reference. Existing pathways get their rows from a Go step of this
-- migration.
CREATE TABLE rtt_clock_courses (
	pathway_id     TEXT NOT NULL,
	org_id         TEXT NOT NULL,
	recorded_at    TEXT NOT NULL,
	superseded_at  TEXT NOT NULL DEFAULT '',
	course         TEXT NOT NULL,
	PRIMARY KEY (pathway_id, recorded_at)
);
-- The returns read the courses standing now, and the comparison every
-- version, from this index alone, in pathway order.
CREATE INDEX rtt_clock_courses_versions ON rtt_clock_courses (org_id, pathway_id, recorded_at, superseded_at, course);
