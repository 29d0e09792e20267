-- +goose Up
-- Accounts: one row per user. Every column a client sends encrypted (akey, private_key) is stored as
-- the opaque EncString it is. master_password_hash is the server's own hash of the client's master
-- password hash, in the self-describing form "$pbkdf2-sha256$i=<iterations>$<salt>$<hash>"; it is
-- NULL for users created through SSO who have not set a master password yet. api_key is kept as
-- issued because the clients show it again (see internal/accounts/doc.go).
CREATE TABLE users (
    id                    TEXT PRIMARY KEY,
    email                 TEXT NOT NULL,
    name                  TEXT,
    email_verified        INTEGER NOT NULL DEFAULT 0,
    master_password_hash  TEXT,
    master_password_hint  TEXT,
    kdf                   INTEGER NOT NULL,
    kdf_iterations        INTEGER NOT NULL,
    kdf_memory            INTEGER,
    kdf_parallelism       INTEGER,
    akey                  TEXT,
    public_key            TEXT,
    private_key           TEXT,
    security_stamp        TEXT NOT NULL,
    api_key               TEXT NOT NULL,
    culture               TEXT NOT NULL,
    avatar_color          TEXT,
    premium               INTEGER NOT NULL DEFAULT 0,
    force_password_reset  INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    revision_date         INTEGER NOT NULL,
    account_revision_date INTEGER NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);

-- The clients a user logs in from, keyed by the identifier each client makes for itself.
CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    identifier   TEXT NOT NULL,
    type         INTEGER NOT NULL,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    CONSTRAINT devices_user_identifier_key UNIQUE (user_id, identifier)
);

-- Refresh tokens, by the SHA-256 of the token (the token itself is never stored). A token is used
-- once: using it sets rotated_at and issues the next one in the same family; presenting a rotated
-- token again revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash     TEXT PRIMARY KEY,
    family_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id      TEXT REFERENCES devices (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL,
    scope          TEXT NOT NULL,
    amr            TEXT NOT NULL,
    security_stamp TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    rotated_at     INTEGER,
    revoked        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at);

-- Keys that sign access tokens. The newest key that is not retired signs; every key that is not
-- retired verifies and is published in the JWKS, so a rotation never invalidates live tokens.
CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);

-- Failed-login counters, one fixed window per bucket ("account:...", "address:..."), shared by
-- every castellan process on this database.
CREATE TABLE login_failures (
    bucket       TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL
);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE signing_keys;
DROP TABLE refresh_tokens;
DROP TABLE devices;
DROP TABLE users;
