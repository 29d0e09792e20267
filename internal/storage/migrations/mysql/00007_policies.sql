-- +goose Up
-- Organization policies (see internal/policies/doc.go): at most one row per organization and
-- policy type, with the official type numbers (3 Single organization, 4 Require SSO, 8 Account
-- recovery administration, ...). data is the policy's settings as camelCase JSON, or NULL when the
-- type has none. A row is never deleted while its organization lives: turning a policy off keeps
-- its settings.
CREATE TABLE policies (
    id              VARCHAR(36) PRIMARY KEY,
    organization_id VARCHAR(36) NOT NULL,
    type            SMALLINT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    data            MEDIUMTEXT,
    created_at      BIGINT NOT NULL,
    revision_date   BIGINT NOT NULL,
    CONSTRAINT policies_org_type_key UNIQUE (organization_id, type),
    CONSTRAINT policies_org_fk FOREIGN KEY (organization_id) REFERENCES organizations (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- The login and membership checks ask which organizations have one type enabled.
CREATE INDEX policies_type_idx ON policies (type, enabled);

-- +goose Down
DROP TABLE policies;
