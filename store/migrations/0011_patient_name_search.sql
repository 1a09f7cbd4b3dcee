-- Name search counts the family names that sound like the one typed from
-- the index alone, without reading each patient's row.
CREATE INDEX patients_family_key_norm ON patients (org_id, family_key, family_norm);
