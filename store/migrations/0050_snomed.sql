-- Each trust's loaded release of SNOMED CT: its active concepts with the
-- preferred term and fully specified name (whose semantic tag says what
-- kind of thing each is), and the words of every active term, preferred
-- or synonym, that search as you type matches by prefix: a range of the
-- index in byte order (on PostgreSQL the "C" collation, whatever the
-- database's own).
CREATE TABLE snomed_concepts (
	org_id        TEXT NOT NULL,
	concept_id    TEXT NOT NULL,
	term          TEXT NOT NULL,
	fsn           TEXT NOT NULL,
	semantic_tag  TEXT NOT NULL,
	synonyms      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (org_id, concept_id)
);

-- begin sqlite
CREATE TABLE snomed_words (
	org_id      TEXT NOT NULL,
	word        TEXT NOT NULL,
	concept_id  TEXT NOT NULL,
	PRIMARY KEY (org_id, word, concept_id)
);
-- end sqlite
-- begin postgres
CREATE TABLE snomed_words (
	org_id      TEXT NOT NULL,
	word        TEXT COLLATE "C" NOT NULL,
	concept_id  TEXT NOT NULL,
	PRIMARY KEY (org_id, word, concept_id)
);
-- end postgres
