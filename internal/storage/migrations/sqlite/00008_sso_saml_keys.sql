-- +goose Up
-- SAML service provider keys (see internal/sso/saml_keys.go): one row per organization that has
-- saved a SAML configuration. sealed_key_set is the PEM of the current and, while a rotation
-- overlaps, the previous signing and encryption key pairs (samlsp.KeySet.MarshalPEM), sealed
-- (AES-256-GCM) with the instance's SSO key from the settings table, like the OIDC client secret.
-- It is never returned by the API nor logged. revision grows with every change (generation,
-- rotation, end of the overlap), so that every process notices and rebuilds its service provider.
-- rotated_at is when the current keys replaced the previous ones (NULL outside an overlap).
-- The replay cache of SAML assertion and logout request ids is sso_replay (migration 00006).
CREATE TABLE sso_saml_keys (
    organization_id TEXT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    sealed_key_set  TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    rotated_at      INTEGER,
    revision_date   INTEGER NOT NULL
);

-- +goose Down
DROP TABLE sso_saml_keys;
