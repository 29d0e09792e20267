-- +goose Up
-- Domains that organizations claim by publishing a TXT record (see internal/domains/doc.go).
-- organization_id holds organizations.id (migration 00004) but has no foreign key yet: the two were
-- written at the same time, without knowing which would land first, so a later migration may add
-- the key (with ON DELETE CASCADE, so that deleting an organization deletes its domains).
-- It is indexed as the leading column of domains_org_name_key (one row per organization and name).
-- verified_name equals domain_name while the domain is claimed (state verified or failing) and is
-- NULL otherwise; its unique key lets at most one organization hold the claim on a name, the same
-- way on every engine (MariaDB has no partial indexes, and NULLs never collide in a unique key).
-- Timestamps are milliseconds since the Unix epoch; NULL means never / not planned.
CREATE TABLE domains (
    id              VARCHAR(36) PRIMARY KEY,
    organization_id VARCHAR(36) NOT NULL,
    domain_name     VARCHAR(253) NOT NULL,
    txt             VARCHAR(64) NOT NULL,
    created_at      BIGINT NOT NULL,
    verified_at     BIGINT,
    verified_name   VARCHAR(253),
    last_checked_at BIGINT,
    next_run_at     BIGINT,
    failing_since   BIGINT,
    job_run_count   INTEGER NOT NULL DEFAULT 0,
    state           VARCHAR(16) NOT NULL,
    revision        BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT domains_org_name_key UNIQUE (organization_id, domain_name),
    CONSTRAINT domains_verified_name_key UNIQUE (verified_name)
);

-- The background re-verifier reads the domains whose next automatic check is due.
CREATE INDEX domains_next_run_idx ON domains (next_run_at);

-- +goose Down
DROP TABLE domains;
