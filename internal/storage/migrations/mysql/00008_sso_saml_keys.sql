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
    organization_id VARCHAR(36) PRIMARY KEY,
    sealed_key_set  MEDIUMTEXT NOT NULL,
    revision        BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    rotated_at      BIGINT,
    revision_date   BIGINT NOT NULL,
    CONSTRAINT sso_saml_keys_org_fk FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE sso_saml_keys;
