-- A sorted search of the trust's encounters or appointments that names
-- no patient (the latest finished encounters, the next appointments)
-- reads each table in the order of the records' starts, then id
-- (crs.RecordScan's Order), and stops once its page is found: these
-- indexes give that order from the cursor on, either way, where reading
-- by patient read every record of the trust for each page. An
-- outpatient encounter starts when the patient arrived: the check-in,
-- or when seen if not checked in.
CREATE INDEX spells_org_admitted ON spells (org_id, admitted_at, id);
CREATE INDEX ed_attendances_org_arrived ON ed_attendances (org_id, arrived_at, id);
CREATE INDEX appointments_org_start ON appointments (org_id, start_at, id);
CREATE INDEX appointments_org_arrival ON appointments (org_id, (CASE WHEN checked_in_at <> '' THEN checked_in_at ELSE attended_at END), id);
