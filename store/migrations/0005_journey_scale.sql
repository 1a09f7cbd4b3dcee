-- The patient tracking list of a large trust (a million open pathways):
-- the unfiltered PTL and its full export read pathways in clock start
-- order. This index holds every pathway column they read, so the scan
-- never visits the pathways table; it serves every query pathways_ptl
-- served (same leading columns), which it replaces.
CREATE INDEX pathways_ptl_cover ON pathways (org_id, clock_state, clock_start, id, patient_id, ppi, treatment_function,
	consultant_code, priority, decision_to_admit, next_event_at, next_event_kind, dna_review);
DROP INDEX pathways_ptl;
