-- Who a member of staff is and where they work, for legitimate
-- relationships: the role profiles a user holds (one is chosen at login
-- and bound to the session), the wards, clinics, teams, specialties and
-- departments they are assigned to, each from a start to an optional end,
-- and the identity a privacy officer compares with the records they open
-- (their own record, a relative's at their address).
CREATE TABLE user_roles (
	user_id  TEXT NOT NULL REFERENCES users (id),
	role     TEXT NOT NULL,
	PRIMARY KEY (user_id, role)
);
INSERT INTO user_roles (user_id, role) SELECT id, role FROM users;

ALTER TABLE users ADD COLUMN family_name TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN postcode TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN nhs_number TEXT NOT NULL DEFAULT '';

ALTER TABLE sessions ADD COLUMN role TEXT NOT NULL DEFAULT '';

CREATE TABLE staff_assignments (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES organisations (id),
	user_id     TEXT NOT NULL REFERENCES users (id),
	kind        TEXT NOT NULL,
	value       TEXT NOT NULL,
	starts_on   TEXT NOT NULL,
	ends_on     TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL
);
CREATE INDEX staff_assignments_user ON staff_assignments (org_id, user_id);
