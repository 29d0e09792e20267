-- +goose Up
-- Single sign-on (see internal/sso/doc.go). Every piece of SSO state is here, not in a process's
-- memory, so that any number of castellan processes can serve one sign-in between them.
--
-- sso_configs: one per organization. data is the JSON of the official SsoConfigurationData
-- (camelCase, enums as numbers) plus castellan's own settings, without the OIDC client secret:
-- sealed_secret holds that secret sealed (AES-256-GCM) with the instance's SSO key from the settings
-- table, and it is never returned by the API. config_type is 1 OIDC or 2 SAML. revision grows on
-- every save; the relying parties key their caches by it.
CREATE TABLE sso_configs (
    organization_id VARCHAR(36) PRIMARY KEY,
    enabled         BOOLEAN NOT NULL,
    config_type     SMALLINT NOT NULL,
    data            MEDIUMTEXT NOT NULL,
    sealed_secret   MEDIUMTEXT,
    revision        BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    revision_date   BIGINT NOT NULL,
    CONSTRAINT sso_configs_org_fk FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- sso_links bind an external identity (the provider's stable user id) to an account, per
-- organization: at most one account per external id and one external id per account.
CREATE TABLE sso_links (
    organization_id VARCHAR(36) NOT NULL,
    external_id     VARCHAR(300) NOT NULL,
    user_id         VARCHAR(36) NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, external_id),
    CONSTRAINT sso_links_org_user_key UNIQUE (organization_id, user_id),
    CONSTRAINT sso_links_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT sso_links_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX sso_links_user_idx ON sso_links (user_id);

-- sso_flows are sign-ins under way, between /identity/connect/authorize and the provider's answer.
-- id is the SHA-256 (hex) of the value the provider sends back (OIDC state, SAML RelayState), so a
-- database reader cannot answer for a flow. binding_hash is the SHA-256 of the cookie that binds the
-- flow to the browser that started it. client_* and code_challenge are the official client's
-- request; provider_data is the protocol's own state (nonce, PKCE verifier, request id), sealed.
-- A flow is deleted when its answer arrives (single use) or when it expires.
CREATE TABLE sso_flows (
    id              VARCHAR(64) PRIMARY KEY,
    organization_id VARCHAR(36) NOT NULL,
    config_type     SMALLINT NOT NULL,
    binding_hash    VARCHAR(64) NOT NULL,
    client_id       VARCHAR(32) NOT NULL,
    redirect_uri    MEDIUMTEXT NOT NULL,
    client_state    MEDIUMTEXT NOT NULL,
    code_challenge  VARCHAR(128) NOT NULL,
    provider_data   MEDIUMTEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    CONSTRAINT sso_flows_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX sso_flows_expires_idx ON sso_flows (expires_at);

-- sso_codes are the authorization codes castellan issues to the official clients after a sign-in,
-- by the SHA-256 of the code. A code is redeemed once, by the client it was issued to, with the
-- redirect URI and the PKCE verifier of its request.
CREATE TABLE sso_codes (
    code_hash       VARCHAR(64) PRIMARY KEY,
    user_id         VARCHAR(36) NOT NULL,
    organization_id VARCHAR(36) NOT NULL,
    client_id       VARCHAR(32) NOT NULL,
    redirect_uri    MEDIUMTEXT NOT NULL,
    code_challenge  VARCHAR(128) NOT NULL,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    CONSTRAINT sso_codes_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX sso_codes_expires_idx ON sso_codes (expires_at);

-- sso_replay remembers message ids a provider sent (SAML assertion and logout request ids, as the
-- SHA-256 of the id) until they expire, per organization, so that each is accepted once.
CREATE TABLE sso_replay (
    organization_id VARCHAR(36) NOT NULL,
    message_hash    VARCHAR(64) NOT NULL,
    expires_at      BIGINT NOT NULL,
    PRIMARY KEY (organization_id, message_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX sso_replay_expires_idx ON sso_replay (expires_at);

-- +goose Down
DROP TABLE sso_replay;
DROP TABLE sso_codes;
DROP TABLE sso_flows;
DROP TABLE sso_links;
DROP TABLE sso_configs;
