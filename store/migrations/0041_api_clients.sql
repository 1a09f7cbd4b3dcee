-- Systems registered to use the FHIR API (SMART Backend Services) and
-- the tokens they were given; a token is kept only as its hash.
CREATE TABLE api_clients (
	id          TEXT PRIMARY KEY,
	org_id      TEXT NOT NULL REFERENCES organisations (id),
	name        TEXT NOT NULL,
	scopes      TEXT NOT NULL,
	jwks        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	disabled    INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX api_clients_name ON api_clients (org_id, name);

CREATE TABLE api_tokens (
	hash        TEXT PRIMARY KEY,
	client_id   TEXT NOT NULL REFERENCES api_clients (id),
	org_id      TEXT NOT NULL,
	scopes      TEXT NOT NULL,
	jti         TEXT NOT NULL DEFAULT '',
	expires_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX api_tokens_jti ON api_tokens (client_id, jti) WHERE jti <> '';
