-- +goose Up
-- Organization policies (see internal/policies/doc.go): at most one row per organization and
-- policy type, with the official type numbers (3 Single organization, 4 Require SSO, 8 Account
-- recovery administration, ...). data is the policy's settings as camelCase JSON, or NULL when the
-- type has none. A row is never deleted while its organization lives: turning a policy off keeps
-- its settings.
CREATE TABLE policies (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    type            INTEGER NOT NULL,
    enabled         INTEGER NOT NULL,
    data            TEXT,
    created_at      INTEGER NOT NULL,
    revision_date   INTEGER NOT NULL,
    CONSTRAINT policies_org_type_key UNIQUE (organization_id, type)
);
-- The login and membership checks ask which organizations have one type enabled.
CREATE INDEX policies_type_idx ON policies (type, enabled);

-- +goose Down
DROP TABLE policies;
