-- A FHIR search of patients no other index leads (by gender or an
-- address alone, or by nothing) reads the trust's patients a page at a
-- time in id order (ListPatients): this index starts each page at the
-- cursor and stops after it, where the trust's other indexes made
-- SQLite read and sort every patient of the trust for each page.
CREATE INDEX patients_org_id ON patients (org_id, id);
