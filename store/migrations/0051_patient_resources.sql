-- A patient's clinical entries of every type, newest first: the
-- timeline of the record reads the resource store by patient.
CREATE INDEX fhir_current_patient ON fhir_current (org_id, patient_id, last_updated) WHERE patient_id <> '';
