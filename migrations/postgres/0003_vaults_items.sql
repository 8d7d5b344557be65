-- 0003_vaults_items (PostgreSQL): vaults, their key successions and grants, items, item history and tombstones
-- (issue 3, slice d; PROTOCOL.md §4-5, §9). Everything sealed is an envelope's JSON text; the server cannot open
-- any of it. Keep it equivalent to migrations/sqlite/0003_vaults_items.sql.

-- A vault. content_version grows with every change to the vault or its items (PROTOCOL.md §9); key_serial is the
-- current vault key serial, and writes under any other are refused.
CREATE TABLE vaults (
    id                 uuid7   NOT NULL PRIMARY KEY,
    kind               text    NOT NULL CHECK (kind IN ('personal', 'shared')),
    sealed_attributes  text    NOT NULL,                                   -- envelope, coffer/vault/<id>/k<serial>/attrs/v<n>
    attributes_version bigint  NOT NULL CHECK (attributes_version >= 1),
    key_serial         bigint  NOT NULL CHECK (key_serial >= 1),
    content_version    bigint  NOT NULL CHECK (content_version >= 1),
    safe_for_travel    bigint  NOT NULL DEFAULT 0 CHECK (safe_for_travel IN (0, 1)),
    created_by         uuid7   NOT NULL REFERENCES members (id),
    created_at         bigint  NOT NULL
);
-- One personal vault per member.
CREATE UNIQUE INDEX vaults_personal ON vaults (created_by) WHERE kind = 'personal';

-- Succession envelopes (PROTOCOL.md §5): key serial n+1 is accepted only with SHA-256 of it sealed by key n.
CREATE TABLE vault_successions (
    vault_id   uuid7   NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    serial     bigint  NOT NULL CHECK (serial >= 2),
    succession text    NOT NULL,                                           -- envelope, coffer/vault/<id>/succ/<serial>
    created_at bigint  NOT NULL,
    PRIMARY KEY (vault_id, serial)
);

-- A grant: the current vault key wrapped to a member or a group (a signed wrap, PROTOCOL.md §5.1) with the
-- grant's vault permissions (POLICY.md), a space-separated set of the eleven names.
CREATE TABLE vault_grants (
    vault_id       uuid7   NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    principal_kind text    NOT NULL CHECK (principal_kind IN ('member', 'group')),
    principal_id   uuid7   NOT NULL,
    key_serial     bigint  NOT NULL CHECK (key_serial >= 1),
    recipient_keyset_serial bigint  NOT NULL CHECK (recipient_keyset_serial >= 1),
    wrapped_key    bytea   NOT NULL CHECK (octet_length(wrapped_key) = 256),     -- RSA-OAEP ciphertext
    signer_id      uuid7   NOT NULL,
    signature      bytea   NOT NULL CHECK (octet_length(signature) = 64),
    permissions    text    NOT NULL CHECK (length(permissions) <= 400),
    created_at     bigint  NOT NULL,
    PRIMARY KEY (vault_id, principal_kind, principal_id)
);
CREATE INDEX vault_grants_principal ON vault_grants (principal_id);

-- The current version of each item. archived and trashed mirror the sealed overview (PROTOCOL.md §4.1);
-- changed_at is the vault content version of the item's last change.
CREATE TABLE items (
    id               uuid7   NOT NULL PRIMARY KEY,
    vault_id         uuid7   NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    version          bigint  NOT NULL CHECK (version >= 1),
    vault_key_serial bigint  NOT NULL CHECK (vault_key_serial >= 1),
    sealed_item_key  text    NOT NULL,                                     -- envelope, coffer/vault/<v>/k<n>/item/<id>/v<version>/key
    sealed_overview  text    NOT NULL,                                     -- envelope, coffer/item/<id>/v<version>/overview
    sealed_details   text    NOT NULL,                                     -- envelope, coffer/item/<id>/v<version>/details
    archived         bigint  NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    trashed          bigint  NOT NULL DEFAULT 0 CHECK (trashed IN (0, 1)),
    updated_at       bigint  NOT NULL,
    changed_at       bigint  NOT NULL CHECK (changed_at >= 1)
);
CREATE INDEX items_vault ON items (vault_id, changed_at);

-- Earlier versions of items, as they were stored (PROTOCOL.md §4: the vault key serial names the key they were under).
CREATE TABLE item_history (
    item_id          uuid7   NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version          bigint  NOT NULL CHECK (version >= 1),
    vault_key_serial bigint  NOT NULL CHECK (vault_key_serial >= 1),
    sealed_item_key  text    NOT NULL,
    sealed_overview  text    NOT NULL,
    sealed_details   text    NOT NULL,
    archived         bigint  NOT NULL CHECK (archived IN (0, 1)),
    trashed          bigint  NOT NULL CHECK (trashed IN (0, 1)),
    updated_at       bigint  NOT NULL,
    PRIMARY KEY (item_id, version)
);

-- A permanently deleted item leaves a sealed tombstone (its last version + 1) for sync (PROTOCOL.md §9).
CREATE TABLE tombstones (
    item_id          uuid7   NOT NULL PRIMARY KEY,
    vault_id         uuid7   NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    version          bigint  NOT NULL CHECK (version >= 1),
    vault_key_serial bigint  NOT NULL CHECK (vault_key_serial >= 1),
    sealed_item_key  text    NOT NULL,
    sealed_tombstone text    NOT NULL,                                     -- envelope, coffer/item/<id>/v<version>/tombstone
    deleted_at       bigint  NOT NULL CHECK (deleted_at >= 1),            -- the vault content version of the deletion
    created_at       bigint  NOT NULL
);
CREATE INDEX tombstones_vault ON tombstones (vault_id, deleted_at);
