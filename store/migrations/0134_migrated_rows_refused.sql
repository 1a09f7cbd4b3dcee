-- A row of a legacy extract that the migration met but did not load is
-- recorded with the reason it was refused (a live patient of the trust
-- already holding the row's NHS number) and what it met (that
-- patient's hospital number), with no record: a run again of the import
-- does not try it again, and the import's report and the reconciliation
-- count it among the extract's rejected rows.
ALTER TABLE migrated_rows ADD COLUMN refused TEXT NOT NULL DEFAULT '';
ALTER TABLE migrated_rows ADD COLUMN refused_detail TEXT NOT NULL DEFAULT '';
