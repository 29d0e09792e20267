-- +goose Up
-- Instance-wide settings: small named values (instance id, generated keys' metadata, ...).
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Leases that let one castellan process at a time run a background job.
CREATE TABLE job_locks (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE job_locks;
DROP TABLE settings;
