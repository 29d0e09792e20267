-- +goose Up
-- Instance-wide settings: small named values (instance id, generated keys' metadata, ...).
CREATE TABLE settings (
    name       VARCHAR(191) PRIMARY KEY,
    value      MEDIUMTEXT NOT NULL,
    updated_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Leases that let one castellan process at a time run a background job.
CREATE TABLE job_locks (
    name       VARCHAR(191) PRIMARY KEY,
    holder     VARCHAR(191) NOT NULL,
    expires_at BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE job_locks;
DROP TABLE settings;
