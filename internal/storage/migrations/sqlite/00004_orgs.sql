-- +goose Up
-- Organizations (see internal/orgs/doc.go). An organization's keys are the client's: public_key is
-- the base64 SubjectPublicKeyInfo of its RSA key and private_key that key wrapped by the
-- organization key (an EncString the server cannot open). identifier is the SSO identifier members
-- type at login (NULL until one is set); identifier_norm is its lower-cased form, unique, so that two
-- organizations never share an identifier whatever its case. seats NULL means unlimited.
CREATE TABLE organizations (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    business_name   TEXT,
    billing_email   TEXT NOT NULL,
    identifier      TEXT,
    identifier_norm TEXT,
    public_key      TEXT,
    private_key     TEXT,
    seats           INTEGER,
    enabled         INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    revision_date   INTEGER NOT NULL,
    CONSTRAINT organizations_identifier_key UNIQUE (identifier_norm)
);

-- Memberships, with the official statuses (-1 revoked, 0 invited, 1 accepted, 2 confirmed, 3 staged)
-- and types (0 owner, 1 admin, 2 user, 4 custom). A row invited by email has email set and user_id
-- NULL; acceptance binds user_id and clears email; confirmation stores akey, the organization key
-- encrypted to the member's public key. status_before_revoke keeps the status a revocation
-- replaced, so that a restore brings it back. permissions is the JSON of a custom role.
CREATE TABLE organization_users (
    id                     TEXT PRIMARY KEY,
    organization_id        TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id                TEXT REFERENCES users (id) ON DELETE CASCADE,
    email                  TEXT,
    akey                   TEXT,
    reset_password_key     TEXT,
    status                 INTEGER NOT NULL,
    status_before_revoke   INTEGER,
    type                   INTEGER NOT NULL,
    external_id            TEXT,
    permissions            TEXT,
    access_secrets_manager INTEGER NOT NULL DEFAULT 0,
    revocation_reason      INTEGER,
    created_at             INTEGER NOT NULL,
    revision_date          INTEGER NOT NULL,
    CONSTRAINT organization_users_org_user_key UNIQUE (organization_id, user_id),
    CONSTRAINT organization_users_org_email_key UNIQUE (organization_id, email)
);
CREATE INDEX organization_users_user_idx ON organization_users (user_id);
CREATE INDEX organization_users_org_status_idx ON organization_users (organization_id, status);
CREATE INDEX organization_users_org_external_idx ON organization_users (organization_id, external_id);

-- Groups of members; a group grants its members access to collections. name is plain text.
CREATE TABLE org_groups (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    external_id     TEXT,
    created_at      INTEGER NOT NULL,
    revision_date   INTEGER NOT NULL
);
CREATE INDEX org_groups_org_idx ON org_groups (organization_id);

CREATE TABLE group_users (
    group_id             TEXT NOT NULL REFERENCES org_groups (id) ON DELETE CASCADE,
    organization_user_id TEXT NOT NULL REFERENCES organization_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, organization_user_id)
);
CREATE INDEX group_users_member_idx ON group_users (organization_user_id);

-- Collections hold an organization's items. name is an EncString under the organization key. type
-- 0 is a shared collection, 1 a member's default collection.
CREATE TABLE collections (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    external_id     TEXT,
    type            INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    revision_date   INTEGER NOT NULL
);
CREATE INDEX collections_org_idx ON collections (organization_id);

-- Access to a collection, for one member or one group. manage excludes read_only and
-- hide_passwords (the service refuses the combination).
CREATE TABLE collection_users (
    collection_id        TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    organization_user_id TEXT NOT NULL REFERENCES organization_users (id) ON DELETE CASCADE,
    read_only            INTEGER NOT NULL DEFAULT 0,
    hide_passwords       INTEGER NOT NULL DEFAULT 0,
    manage               INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, organization_user_id)
);
CREATE INDEX collection_users_member_idx ON collection_users (organization_user_id);

CREATE TABLE collection_groups (
    collection_id  TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    group_id       TEXT NOT NULL REFERENCES org_groups (id) ON DELETE CASCADE,
    read_only      INTEGER NOT NULL DEFAULT 0,
    hide_passwords INTEGER NOT NULL DEFAULT 0,
    manage         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (collection_id, group_id)
);
CREATE INDEX collection_groups_group_idx ON collection_groups (group_id);

-- The audit log, with the official event type numbers. Rows name what they are about by id and have
-- no foreign keys: an event outlives the member, group or organization it records.
CREATE TABLE audit_events (
    id                   TEXT PRIMARY KEY,
    type                 INTEGER NOT NULL,
    organization_id      TEXT,
    acting_user_id       TEXT,
    user_id              TEXT,
    organization_user_id TEXT,
    group_id             TEXT,
    collection_id        TEXT,
    cipher_id            TEXT,
    policy_id            TEXT,
    device_type          INTEGER,
    ip_address           TEXT,
    system_user          INTEGER,
    created_at           INTEGER NOT NULL
);
CREATE INDEX audit_events_org_date_idx ON audit_events (organization_id, created_at, id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE collection_groups;
DROP TABLE collection_users;
DROP TABLE collections;
DROP TABLE group_users;
DROP TABLE org_groups;
DROP TABLE organization_users;
DROP TABLE organizations;
