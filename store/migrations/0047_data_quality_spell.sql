-- A data-quality entry names the hospital spell the message changed, when
-- it changed one, so that the code a sender sent for an admission, kept
-- as received on the entry, is found from the spell it belongs to.
ALTER TABLE data_quality_issues ADD COLUMN spell_id TEXT NOT NULL DEFAULT '';
CREATE INDEX data_quality_issues_spell ON data_quality_issues (org_id, spell_id);
