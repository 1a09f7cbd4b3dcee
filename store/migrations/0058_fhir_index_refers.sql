-- What refers to a resource, whatever the type or parameter: a
-- patient's compartment for $everything and bulk export. A reference's
-- row holds the target type in system and Type/id in code; the index
-- covers the referring resource's type and id, in order.
CREATE INDEX fhir_index_refers ON fhir_index (org_id, system, code, type, id) WHERE code <> '';
