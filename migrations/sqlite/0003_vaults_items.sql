-- 0003_vaults_items (SQLite 3.35): vaults, their key successions and grants, items, item history and tombstones
-- (issue 3, slice d; PROTOCOL.md §4-5, §9). Everything sealed is an envelope's JSON text; the server cannot open
-- any of it. Keep it equivalent to migrations/postgres/0003_vaults_items.sql.

-- A vault. content_version grows with every change to the vault or its items (PROTOCOL.md §9); key_serial is the
-- current vault key serial, and writes under any other are refused.
CREATE TABLE vaults (
    id                 TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    kind               TEXT    NOT NULL CHECK (kind IN ('personal', 'shared')),
    sealed_attributes  TEXT    NOT NULL,                                   -- envelope, coffer/vault/<id>/k<serial>/attrs/v<n>
    attributes_version INTEGER NOT NULL CHECK (attributes_version >= 1),
    key_serial         INTEGER NOT NULL CHECK (key_serial >= 1),
    content_version    INTEGER NOT NULL CHECK (content_version >= 1),
    safe_for_travel    INTEGER NOT NULL DEFAULT 0 CHECK (safe_for_travel IN (0, 1)),
    created_by         TEXT    NOT NULL REFERENCES members (id),
    created_at         INTEGER NOT NULL
);
-- One personal vault per member.
CREATE UNIQUE INDEX vaults_personal ON vaults (created_by) WHERE kind = 'personal';

-- Succession envelopes (PROTOCOL.md §5): key serial n+1 is accepted only with SHA-256 of it sealed by key n.
CREATE TABLE vault_successions (
    vault_id   TEXT    NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    serial     INTEGER NOT NULL CHECK (serial >= 2),
    succession TEXT    NOT NULL,                                           -- envelope, coffer/vault/<id>/succ/<serial>
    created_at INTEGER NOT NULL,
    PRIMARY KEY (vault_id, serial)
);

-- A grant: the current vault key wrapped to a member or a group (a signed wrap, PROTOCOL.md §5.1) with the
-- grant's vault permissions (POLICY.md), a space-separated set of the eleven names.
CREATE TABLE vault_grants (
    vault_id       TEXT    NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    principal_kind TEXT    NOT NULL CHECK (principal_kind IN ('member', 'group')),
    principal_id   TEXT    NOT NULL
        CHECK (principal_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(principal_id, '-', '')) = 32 AND replace(principal_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    key_serial     INTEGER NOT NULL CHECK (key_serial >= 1),
    recipient_keyset_serial INTEGER NOT NULL CHECK (recipient_keyset_serial >= 1),
    wrapped_key    BLOB    NOT NULL CHECK (length(wrapped_key) = 256),     -- RSA-OAEP ciphertext
    signer_id      TEXT    NOT NULL
        CHECK (signer_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(signer_id, '-', '')) = 32 AND replace(signer_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    signature      BLOB    NOT NULL CHECK (length(signature) = 64),
    permissions    TEXT    NOT NULL CHECK (length(permissions) <= 400),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (vault_id, principal_kind, principal_id)
);
CREATE INDEX vault_grants_principal ON vault_grants (principal_id);

-- The current version of each item. archived and trashed mirror the sealed overview (PROTOCOL.md §4.1);
-- changed_at is the vault content version of the item's last change.
CREATE TABLE items (
    id               TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    vault_id         TEXT    NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    version          INTEGER NOT NULL CHECK (version >= 1),
    vault_key_serial INTEGER NOT NULL CHECK (vault_key_serial >= 1),
    sealed_item_key  TEXT    NOT NULL,                                     -- envelope, coffer/vault/<v>/k<n>/item/<id>/v<version>/key
    sealed_overview  TEXT    NOT NULL,                                     -- envelope, coffer/item/<id>/v<version>/overview
    sealed_details   TEXT    NOT NULL,                                     -- envelope, coffer/item/<id>/v<version>/details
    archived         INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    trashed          INTEGER NOT NULL DEFAULT 0 CHECK (trashed IN (0, 1)),
    updated_at       INTEGER NOT NULL,
    changed_at       INTEGER NOT NULL CHECK (changed_at >= 1)
);
CREATE INDEX items_vault ON items (vault_id, changed_at);

-- Earlier versions of items, as they were stored (PROTOCOL.md §4: the vault key serial names the key they were under).
CREATE TABLE item_history (
    item_id          TEXT    NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    version          INTEGER NOT NULL CHECK (version >= 1),
    vault_key_serial INTEGER NOT NULL CHECK (vault_key_serial >= 1),
    sealed_item_key  TEXT    NOT NULL,
    sealed_overview  TEXT    NOT NULL,
    sealed_details   TEXT    NOT NULL,
    archived         INTEGER NOT NULL CHECK (archived IN (0, 1)),
    trashed          INTEGER NOT NULL CHECK (trashed IN (0, 1)),
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (item_id, version)
);

-- A permanently deleted item leaves a sealed tombstone (its last version + 1) for sync (PROTOCOL.md §9).
CREATE TABLE tombstones (
    item_id          TEXT    NOT NULL PRIMARY KEY
        CHECK (item_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(item_id, '-', '')) = 32 AND replace(item_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    vault_id         TEXT    NOT NULL REFERENCES vaults (id) ON DELETE CASCADE,
    version          INTEGER NOT NULL CHECK (version >= 1),
    vault_key_serial INTEGER NOT NULL CHECK (vault_key_serial >= 1),
    sealed_item_key  TEXT    NOT NULL,
    sealed_tombstone TEXT    NOT NULL,                                     -- envelope, coffer/item/<id>/v<version>/tombstone
    deleted_at       INTEGER NOT NULL CHECK (deleted_at >= 1),            -- the vault content version of the deletion
    created_at       INTEGER NOT NULL
);
CREATE INDEX tombstones_vault ON tombstones (vault_id, deleted_at);
