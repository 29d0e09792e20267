-- +goose Up
-- Folders: a user's own, names encrypted under the user key (opaque EncStrings).
CREATE TABLE folders (
    id         VARCHAR(36) PRIMARY KEY,
    user_id    VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX folders_user_idx ON folders (user_id);

-- Vault items. A personal item has user_id set; an organization's item has organization_id set
-- (organizations arrive with issue 4; the column has no foreign key until then). data is the item's
-- encrypted fields as one JSON document the server checked but cannot read (internal/vault/clean.go).
-- deleted_at is set while the item is in the trash; updated_at is the revision date clients see.
CREATE TABLE ciphers (
    id              VARCHAR(36) PRIMARY KEY,
    user_id         VARCHAR(36) REFERENCES users (id) ON DELETE CASCADE,
    organization_id VARCHAR(36),
    type            INTEGER NOT NULL,
    data            TEXT NOT NULL,
    cipher_key      TEXT,
    reprompt        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deleted_at      BIGINT
);
CREATE INDEX ciphers_user_idx ON ciphers (user_id);
CREATE INDEX ciphers_organization_idx ON ciphers (organization_id);

-- Folder and favorite are each user's own view of an item (members file a shared item in their
-- own folders). A row exists only when the item is in a folder or a favorite.
CREATE TABLE cipher_user_prefs (
    cipher_id VARCHAR(36) NOT NULL REFERENCES ciphers (id) ON DELETE CASCADE,
    user_id   VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    folder_id VARCHAR(36) REFERENCES folders (id) ON DELETE SET NULL,
    favorite  BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (cipher_id, user_id)
);
CREATE INDEX cipher_user_prefs_user_idx ON cipher_user_prefs (user_id);
CREATE INDEX cipher_user_prefs_folder_idx ON cipher_user_prefs (folder_id);

-- The collections an organization's item is in (collections arrive with issue 4; no foreign key
-- to them until then).
CREATE TABLE cipher_collections (
    cipher_id     VARCHAR(36) NOT NULL REFERENCES ciphers (id) ON DELETE CASCADE,
    collection_id VARCHAR(36) NOT NULL,
    PRIMARY KEY (cipher_id, collection_id)
);
CREATE INDEX cipher_collections_collection_idx ON cipher_collections (collection_id);

-- +goose Down
DROP TABLE cipher_collections;
DROP TABLE cipher_user_prefs;
DROP TABLE ciphers;
DROP TABLE folders;
