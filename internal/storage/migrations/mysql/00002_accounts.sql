-- +goose Up
-- Accounts: one row per user. Every column a client sends encrypted (akey, private_key) is stored as
-- the opaque EncString it is. master_password_hash is the server's own hash of the client's master
-- password hash, in the self-describing form "$pbkdf2-sha256$i=<iterations>$<salt>$<hash>"; it is
-- NULL for users created through SSO who have not set a master password yet. api_key is kept as
-- issued because the clients show it again (see internal/accounts/doc.go).
CREATE TABLE users (
    id                    VARCHAR(36) PRIMARY KEY,
    email                 VARCHAR(255) NOT NULL,
    name                  VARCHAR(255),
    email_verified        BOOLEAN NOT NULL DEFAULT FALSE,
    master_password_hash  MEDIUMTEXT,
    master_password_hint  MEDIUMTEXT,
    kdf                   INTEGER NOT NULL,
    kdf_iterations        INTEGER NOT NULL,
    kdf_memory            INTEGER,
    kdf_parallelism       INTEGER,
    akey                  MEDIUMTEXT,
    public_key            MEDIUMTEXT,
    private_key           MEDIUMTEXT,
    security_stamp        VARCHAR(64) NOT NULL,
    api_key               VARCHAR(64) NOT NULL,
    culture               VARCHAR(32) NOT NULL,
    avatar_color          VARCHAR(16),
    premium               BOOLEAN NOT NULL DEFAULT FALSE,
    force_password_reset  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            BIGINT NOT NULL,
    revision_date         BIGINT NOT NULL,
    account_revision_date BIGINT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The clients a user logs in from, keyed by the identifier each client makes for itself.
CREATE TABLE devices (
    id           VARCHAR(36) PRIMARY KEY,
    user_id      VARCHAR(36) NOT NULL,
    identifier   VARCHAR(255) NOT NULL,
    type         INTEGER NOT NULL,
    name         VARCHAR(255) NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    CONSTRAINT devices_user_identifier_key UNIQUE (user_id, identifier),
    CONSTRAINT devices_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Refresh tokens, by the SHA-256 of the token (the token itself is never stored). A token is used
-- once: using it sets rotated_at and issues the next one in the same family; presenting a rotated
-- token again revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash     VARCHAR(64) PRIMARY KEY,
    family_id      VARCHAR(36) NOT NULL,
    user_id        VARCHAR(36) NOT NULL,
    device_id      VARCHAR(36),
    client_id      VARCHAR(64) NOT NULL,
    scope          VARCHAR(255) NOT NULL,
    amr            VARCHAR(32) NOT NULL,
    security_stamp VARCHAR(64) NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    rotated_at     BIGINT,
    revoked        BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT refresh_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT refresh_tokens_device_fk FOREIGN KEY (device_id) REFERENCES devices (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

-- Keys that sign access tokens. The newest key that is not retired signs; every key that is not
-- retired verifies and is published in the JWKS, so a rotation never invalidates live tokens.
CREATE TABLE signing_keys (
    kid         VARCHAR(64) PRIMARY KEY,
    alg         VARCHAR(16) NOT NULL,
    private_key MEDIUMTEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Failed-login counters, one fixed window per bucket ("account:...", "address:..."), shared by
-- every castellan process on this database.
CREATE TABLE login_failures (
    bucket       VARCHAR(191) PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     INTEGER NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE login_failures;
DROP TABLE signing_keys;
DROP TABLE refresh_tokens;
DROP TABLE devices;
DROP TABLE users;
