-- An outbound feed may speak MLLP over TLS to its receiving system, with
-- the deployment's client certificate when the receiver asks for one
-- (crs serve --feeds-tls-ca, --feeds-tls-cert, --feeds-tls-key).
ALTER TABLE hl7_destinations ADD COLUMN use_tls INTEGER NOT NULL DEFAULT 0;
