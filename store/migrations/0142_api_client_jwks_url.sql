-- A system registered with the FHIR API by the address of its key set
-- (SMART Backend Services' JWKS URL) rather than the keys themselves:
-- the keys are read from the address when a token is asked for, so
-- that the system rotates them without the trust registering it again.
-- Empty for a system registered with its keys (jwks).
ALTER TABLE api_clients ADD COLUMN jwks_url TEXT NOT NULL DEFAULT '';
