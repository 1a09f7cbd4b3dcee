-- The patient index loses its index by family name key and date of
-- birth: no search reads it. A search by name and date of birth reads the
-- patients born that day (patients_birth_date); a search by name alone
-- counts and reads the names that sound alike by family name key and
-- family name (patients_family_key_norm), which also serves the look for
-- likely duplicates by sound and postcode. Every patient registered or
-- changed is one index entry fewer to write.
DROP INDEX patients_family_key;
