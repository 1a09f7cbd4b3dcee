-- The pathways of a patient, with their ids in the index. Without it
-- SQLite, which keeps no statistics of the tables, answered "the pathways
-- of this patient" from the PTL's covering index, reading every pathway of
-- the trust; the RTT course rows of a patient changed by the ADT feed were
-- found that way on every update of the patient.
CREATE INDEX pathways_patient_ids ON pathways (org_id, patient_id, id);
DROP INDEX pathways_patient;
