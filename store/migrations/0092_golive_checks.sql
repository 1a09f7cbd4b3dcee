-- The runs of the go / no-go check of a cutover (crs golive check), kept
-- for the programme board: the verdict of each run, and each criterion
-- with its figure, threshold (NULL: for information) and verdict.
CREATE TABLE golive_checks (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL,
	checked_at TEXT NOT NULL,
	checked_by TEXT NOT NULL,
	extract    TEXT NOT NULL,
	go_ahead   INTEGER NOT NULL,
	failed     TEXT NOT NULL
);
CREATE INDEX golive_checks_org ON golive_checks (org_id, checked_at);

CREATE TABLE golive_criteria (
	check_id    TEXT NOT NULL,
	position    INTEGER NOT NULL,
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	figure      DOUBLE PRECISION NOT NULL,
	threshold   DOUBLE PRECISION,
	pass        INTEGER NOT NULL,
	detail      TEXT NOT NULL,
	PRIMARY KEY (check_id, position)
);
