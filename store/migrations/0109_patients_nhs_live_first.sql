-- The NHS number's index holds, after the number, whether the record was
-- merged (merged_into, empty for a live record): the inbound look-up by
-- NHS number reads the first entry from the trust and number on, which
-- is the live holder when there is one, else the record merged first,
-- and a probe of this index however PostgreSQL sees the table (asked by
-- equality, a new deployment's generic plan walked the trust's patients
-- by another index of the trust's, or scanned them once analysed).
DROP INDEX patients_nhs;
CREATE INDEX patients_nhs ON patients (org_id, nhs_number, merged_into);
