-- A token search reads its resources in id order from the index rows of
-- its code, so a page of a code every resource has (every heart rate)
-- stops at the page: the code index carries the resource's id after the
-- code and its system. A resource's rows are written once each
-- (PutResource leaves out repeats); repeats written before are removed.
-- begin sqlite
DELETE FROM fhir_index WHERE rowid NOT IN (
	SELECT MIN(rowid) FROM fhir_index GROUP BY org_id, type, id, param, system, code, text, lo, hi, num);
-- end sqlite
-- begin postgres
DELETE FROM fhir_index a USING fhir_index b
WHERE a.ctid > b.ctid AND a.org_id = b.org_id AND a.type = b.type AND a.id = b.id AND a.param = b.param
	AND a.system = b.system AND a.code = b.code AND a.text = b.text AND a.lo = b.lo AND a.hi = b.hi
	AND a.num IS NOT DISTINCT FROM b.num;
-- end postgres
DROP INDEX fhir_index_code;
CREATE INDEX fhir_index_token ON fhir_index (org_id, type, param, code, system, id) WHERE code <> '';
