-- A search by given name alone (FHIR's Patient?given= and ?name=, which
-- match any part of a name) reads the patients whose given name starts
-- with what was asked.
CREATE INDEX patients_given_norm ON patients (org_id, given_norm);
