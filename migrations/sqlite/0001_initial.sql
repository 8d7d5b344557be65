-- 0001_initial (SQLite 3.35): the organisation and its setup, members, keysets, certificates and the
-- revocation list, groups, invitations, devices, sessions and sign-in state (issue 3, slices b and c).
--
-- Types: ids are lowercase UUIDv7 text (PROTOCOL.md conventions), checked where they enter (a primary key,
-- or an id that references no table); times are int64 Unix milliseconds; bytes are BLOBs; envelopes
-- (PROTOCOL.md §4) are their JSON text. The server stores only what clients sealed, signed or derived.
-- Keep it equivalent to migrations/postgres/0001_initial.sql: a test compares tables, columns and nullability.
-- SQLite quirk: a non-INTEGER PRIMARY KEY may hold NULL unless declared NOT NULL, so every one is.

-- One organisation per install (singleton). Its root key is the trust anchor; the server only stores it.
CREATE TABLE organisations (
    id                      TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    singleton               INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1),
    name                    TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The Secret Key's account id: 6 characters of its 31-symbol alphabet (PROTOCOL.md §1).
    account_id              TEXT    NOT NULL UNIQUE
        CHECK (length(account_id) = 6 AND account_id NOT GLOB '*[^23456789ABCDEFGHJKLMNPQRSTVWXYZ]*'),
    root_public_key         BLOB    NOT NULL,                                         -- ECDSA P-256, DER SPKI
    root_fingerprint        BLOB    NOT NULL CHECK (length(root_fingerprint) = 32),   -- the organisation fingerprint
    -- The org-root record (id, account_id, root_fingerprint, created_at), signed by the root (P1363, 64 bytes).
    root_signature          BLOB    NOT NULL CHECK (length(root_signature) = 64),
    sealed_root_private_key TEXT    NOT NULL,                                         -- envelope under the Owners group key
    created_at              INTEGER NOT NULL,                                         -- the org-root record's createdAt
    -- Raised by every restore, so clients' rollback protection accepts a legitimate restore.
    restore_epoch           INTEGER NOT NULL DEFAULT 0 CHECK (restore_epoch >= 0)
);

-- Root rotations (PROTOCOL.md §5.1): the old root signs the new one; clients follow the chain.
CREATE TABLE root_rotations (
    new_root_fingerprint BLOB    NOT NULL PRIMARY KEY CHECK (length(new_root_fingerprint) = 32),
    old_root_fingerprint BLOB    NOT NULL UNIQUE CHECK (length(old_root_fingerprint) = 32),
    new_root_public_key  BLOB    NOT NULL,
    issued_at            INTEGER NOT NULL,
    signature            BLOB    NOT NULL CHECK (length(signature) = 64),            -- root-rotation, by the old root
    created_at           INTEGER NOT NULL
);

-- The one-time setup link's token, hashed; the token itself lives only in the printed link's fragment.
CREATE TABLE setup_tokens (
    token_hash BLOB    NOT NULL PRIMARY KEY CHECK (length(token_hash) = 32),          -- SHA-256
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- Secrets of the server itself that every node must share (e.g. the HMAC key behind plausible answers for
-- unknown emails, PROTOCOL.md §3). Never a member's secret.
CREATE TABLE server_keys (
    name       TEXT    NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    value      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE members (
    id               TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    organisation_id  TEXT    NOT NULL REFERENCES organisations (id),
    email            TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    email_normalized TEXT    NOT NULL UNIQUE,                                         -- ASCII lower-cased by the server (PROTOCOL.md §1)
    name             TEXT    NOT NULL CHECK (length(name) <= 200),
    state            TEXT    NOT NULL
        CHECK (state IN ('invited', 'pending_confirmation', 'active', 'suspended', 'recovery_pending')),
    unlock_method    TEXT    NOT NULL DEFAULT 'password' CHECK (unlock_method IN ('password', 'sso')),
    kdf_alg          TEXT    CHECK (kdf_alg = 'coffer/2skd/v1'),
    kdf_salt         BLOB    CHECK (length(kdf_salt) = 16),
    kdf_iterations   INTEGER CHECK (kdf_iterations > 0),
    srp_verifier     BLOB    CHECK (length(srp_verifier) BETWEEN 1 AND 512),         -- v = g^x mod N, big-endian
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    -- An invited member has chosen nothing yet; from acceptance on, KDF parameters and verifier exist together.
    CHECK ((state = 'invited') = (srp_verifier IS NULL)),
    CHECK ((kdf_alg IS NULL) = (srp_verifier IS NULL) AND (kdf_salt IS NULL) = (srp_verifier IS NULL)
           AND (kdf_iterations IS NULL) = (srp_verifier IS NULL))
);

CREATE TABLE groups (
    id              TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    organisation_id TEXT    NOT NULL REFERENCES organisations (id),
    kind            TEXT    NOT NULL
        CHECK (kind IN ('owners', 'administrators', 'team_members', 'guests', 'provision_managers', 'recovery', 'custom')),
    name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at      INTEGER NOT NULL
);
-- Each built-in group exists once.
CREATE UNIQUE INDEX groups_builtin_kind ON groups (kind) WHERE kind <> 'custom';

-- A member's or a group's keys (PROTOCOL.md §5): one row per serial. Private keys are sealed under the
-- keyset's symmetric key; a member's symmetric key is sealed under their AUK, a group's is wrapped to each
-- member (group_memberships).
CREATE TABLE keysets (
    id                            TEXT    NOT NULL
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    serial                        INTEGER NOT NULL CHECK (serial >= 1),
    member_id                     TEXT    REFERENCES members (id),
    group_id                      TEXT    REFERENCES groups (id),
    sealed_symmetric_key          TEXT,                                               -- envelope, .../sym
    sealed_encryption_private_key TEXT    NOT NULL,                                   -- envelope, .../rsa (PKCS#8)
    sealed_signing_private_key    TEXT    NOT NULL,                                   -- envelope, .../sig (PKCS#8)
    encryption_public_key         BLOB    NOT NULL,                                   -- RSA-2048, DER SPKI
    signing_public_key            BLOB    NOT NULL,                                   -- ECDSA P-256, DER SPKI
    created_at                    INTEGER NOT NULL,
    PRIMARY KEY (id, serial),
    UNIQUE (member_id, serial),
    UNIQUE (group_id, serial),
    CHECK ((member_id IS NULL) <> (group_id IS NULL)),
    CHECK ((member_id IS NULL) = (sealed_symmetric_key IS NULL))
);

-- A member's pins record (PROTOCOL.md §5.1), sealed under their keyset key; version n is in its AAD.
CREATE TABLE pins (
    member_id     TEXT    NOT NULL PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    keyset_id     TEXT    NOT NULL,
    keyset_serial INTEGER NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    sealed_pins   TEXT    NOT NULL,                                                   -- envelope, coffer/keyset/<id>/pins/v<n>
    updated_at    INTEGER NOT NULL,
    FOREIGN KEY (keyset_id, keyset_serial) REFERENCES keysets (id, serial)
);
CREATE INDEX pins_keyset ON pins (keyset_id, keyset_serial);

-- Issuer certificates (signed by the root) and member and group certificates (signed by an issuer),
-- PROTOCOL.md §5.1-5.2. The columns are the signed record's fields; which apply depends on the kind.
-- Member and group public keys are in keysets; an issuer's public key is here.
CREATE TABLE certificates (
    id                     TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    kind                   TEXT    NOT NULL CHECK (kind IN ('issuer', 'member', 'group')),
    -- issuer: the issuer id; member: the member id; group: the group id.
    subject_id             TEXT    NOT NULL
        CHECK (subject_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(subject_id, '-', '')) = 32 AND replace(subject_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    role                   TEXT    CHECK (role IN ('admin', 'provisioning')),        -- issuer
    holder_id              TEXT                                                      -- issuer: the administrator or SCIM bridge
        CHECK (holder_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(holder_id, '-', '')) = 32 AND replace(holder_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    public_key             BLOB,                                                     -- issuer: ECDSA P-256, DER SPKI
    sealed_private_key     TEXT,                                                     -- issuer: envelope under the holder's keyset key
    expires_at             INTEGER,                                                  -- issuer
    base_group             TEXT    CHECK (base_group IN ('team_members', 'guests')), -- member
    group_kind             TEXT                                                      -- group
        CHECK (group_kind IN ('owners', 'administrators', 'team_members', 'guests', 'provision_managers', 'recovery', 'custom')),
    encryption_fingerprint BLOB    CHECK (length(encryption_fingerprint) = 32),      -- member, group
    signing_fingerprint    BLOB    CHECK (length(signing_fingerprint) = 32),         -- all (issuer: issuerFpr)
    keyset_id              TEXT,                                                     -- member, group
    keyset_serial          INTEGER,                                                  -- member, group
    issuer_id              TEXT                                                      -- member, group: who signed
        CHECK (issuer_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(issuer_id, '-', '')) = 32 AND replace(issuer_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    issued_at              INTEGER NOT NULL,
    signature              BLOB    NOT NULL CHECK (length(signature) = 64),
    created_at             INTEGER NOT NULL,
    FOREIGN KEY (keyset_id, keyset_serial) REFERENCES keysets (id, serial),
    CHECK (signing_fingerprint IS NOT NULL),
    CHECK (kind <> 'issuer' OR (role IS NOT NULL AND holder_id IS NOT NULL AND public_key IS NOT NULL AND expires_at IS NOT NULL
           AND base_group IS NULL AND group_kind IS NULL AND encryption_fingerprint IS NULL
           AND keyset_id IS NULL AND keyset_serial IS NULL AND issuer_id IS NULL)),
    CHECK (kind = 'issuer' OR (role IS NULL AND holder_id IS NULL AND public_key IS NULL AND sealed_private_key IS NULL AND expires_at IS NULL
           AND encryption_fingerprint IS NOT NULL AND keyset_id IS NOT NULL AND keyset_serial IS NOT NULL AND issuer_id IS NOT NULL)),
    CHECK (kind <> 'member' OR (base_group IS NOT NULL AND group_kind IS NULL)),
    CHECK (kind <> 'group' OR (group_kind IS NOT NULL AND base_group IS NULL))
);
CREATE INDEX certificates_subject ON certificates (kind, subject_id, issued_at);
CREATE INDEX certificates_keyset ON certificates (keyset_id, keyset_serial);

-- The signed certificate-revocation list, every version kept (clients refuse an older one).
CREATE TABLE revocation_lists (
    version    INTEGER NOT NULL PRIMARY KEY CHECK (version >= 1),
    issued_at  INTEGER NOT NULL,
    issuer_id  TEXT                                                                  -- NULL: signed by the root
        CHECK (issuer_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(issuer_id, '-', '')) = 32 AND replace(issuer_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    entries    TEXT    NOT NULL,                 -- JSON array of "<certKind>:<subjectId>:<keysetSerial>", in signed order
    signature  BLOB    NOT NULL CHECK (length(signature) = 64),
    created_at INTEGER NOT NULL
);

-- Membership is a signed wrap of the group keyset's symmetric key to the member's encryption key
-- (PROTOCOL.md §5.1, `wrap` record); the wrap names the group key serial it carries.
CREATE TABLE group_memberships (
    group_id    TEXT    NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    member_id   TEXT    NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    key_serial  INTEGER NOT NULL,
    member_keyset_serial INTEGER NOT NULL,                                           -- the member keyset the wrap is made for
    wrapped_key BLOB    NOT NULL,                                                    -- RSA-OAEP ciphertext
    signer_id   TEXT    NOT NULL                                                     -- a member or a SCIM bridge
        CHECK (signer_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(signer_id, '-', '')) = 32 AND replace(signer_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    signature   BLOB    NOT NULL CHECK (length(signature) = 64),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, member_id),
    FOREIGN KEY (group_id, key_serial) REFERENCES keysets (group_id, serial)
);
CREATE INDEX group_memberships_member ON group_memberships (member_id);
CREATE INDEX group_memberships_key ON group_memberships (group_id, key_serial);

-- A group key wrapped to a managing group (Owners, Administrators: docs/adr/0006), so that whoever holds the
-- managing group's key can add members to the managed group. Same signed wrap record, recipient a group.
CREATE TABLE group_manager_wraps (
    group_id           TEXT    NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    key_serial         INTEGER NOT NULL,
    manager_group_id   TEXT    NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    manager_key_serial INTEGER NOT NULL,
    wrapped_key        BLOB    NOT NULL,                                             -- RSA-OAEP ciphertext
    signer_id          TEXT    NOT NULL
        CHECK (signer_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(signer_id, '-', '')) = 32 AND replace(signer_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    signature          BLOB    NOT NULL CHECK (length(signature) = 64),
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (group_id, manager_group_id),
    FOREIGN KEY (group_id, key_serial) REFERENCES keysets (group_id, serial),
    FOREIGN KEY (manager_group_id, manager_key_serial) REFERENCES keysets (group_id, serial),
    CHECK (group_id <> manager_group_id)
);
CREATE INDEX group_manager_wraps_manager ON group_manager_wraps (manager_group_id);

-- An invitation (PROTOCOL.md §8): the member row exists from the invitation on, in state 'invited'.
CREATE TABLE invitations (
    id          TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    member_id   TEXT    NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    token_hash  BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),            -- SHA-256 of the token in the link's fragment
    base_group  TEXT    NOT NULL CHECK (base_group IN ('team_members', 'guests')),
    invited_by  TEXT    NOT NULL                                                     -- a member or a SCIM bridge
        CHECK (invited_by GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(invited_by, '-', '')) = 32 AND replace(invited_by, '-', '') NOT GLOB '*[^0-9a-f]*'),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER
);
CREATE INDEX invitations_member ON invitations (member_id);

CREATE TABLE devices (
    id             TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    member_id      TEXT    NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL CHECK (length(name) <= 200),
    platform       TEXT    NOT NULL CHECK (length(platform) <= 100),
    client_version TEXT    NOT NULL CHECK (length(client_version) <= 100),
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    revoked_at     INTEGER                                                            -- deauthorised: sessions end, wipe on next contact
);
CREATE INDEX devices_member ON devices (member_id);

-- A signed-in session (PROTOCOL.md §6). An ended session keeps its key until it expires, so a wipe
-- instruction can still be sealed to its device.
CREATE TABLE sessions (
    id           TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    member_id    TEXT    NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    device_id    TEXT    NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key_material BLOB    NOT NULL CHECK (length(key_material) >= 32),                -- the server's half: SRP's K
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,                                                    -- idle expiry counts from here
    expires_at   INTEGER NOT NULL,                                                    -- absolute lifetime
    -- not_required: no factor owed; pending: limited to MFA calls; satisfied: presented. mfa_at: the last factor (step-up).
    mfa_level    TEXT    NOT NULL CHECK (mfa_level IN ('not_required', 'pending', 'satisfied')),
    mfa_at       INTEGER,
    ip           TEXT    NOT NULL CHECK (length(ip) <= 45),
    ended_at     INTEGER
);
CREATE INDEX sessions_member ON sessions (member_id);
CREATE INDEX sessions_device ON sessions (device_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Sequence numbers of writes, unique per session, recorded in the write's own transaction so a write
-- replayed to another node fails (PROTOCOL.md §6).
CREATE TABLE session_writes (
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- A sign-in in progress (PROTOCOL.md §3), between auth/start and auth/verify; deleted when used or expired.
CREATE TABLE auth_attempts (
    id                    TEXT    NOT NULL PRIMARY KEY                               -- the authId
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    member_id             TEXT    REFERENCES members (id) ON DELETE CASCADE,         -- NULL: unknown email, every answer fake
    email_normalized      TEXT    NOT NULL,
    device_id             TEXT    NOT NULL                                           -- a device row is made only on success
        CHECK (device_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(device_id, '-', '')) = 32 AND replace(device_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    device_name           TEXT    NOT NULL CHECK (length(device_name) <= 200),
    device_platform       TEXT    NOT NULL CHECK (length(device_platform) <= 100),
    device_client_version TEXT    NOT NULL CHECK (length(device_client_version) <= 100),
    ip                    TEXT    NOT NULL CHECK (length(ip) <= 45),
    srp_b                 BLOB    CHECK (length(srp_b) = 32),                        -- the server's secret ephemeral, from exchange
    srp_a                 BLOB    CHECK (length(srp_a) = 512),                       -- the client's A, from exchange
    created_at            INTEGER NOT NULL,
    expires_at            INTEGER NOT NULL,
    CHECK ((srp_a IS NULL) = (srp_b IS NULL))
);
CREATE INDEX auth_attempts_member ON auth_attempts (member_id);
CREATE INDEX auth_attempts_expires ON auth_attempts (expires_at);

-- Failed sign-in, MFA and code attempts, counted per account (unknown emails too), device and IP for
-- throttling and lockout (POLICY.md); purged once older than the longest window.
CREATE TABLE auth_failures (
    id        INTEGER NOT NULL PRIMARY KEY,
    key_kind  TEXT    NOT NULL CHECK (key_kind IN ('account', 'device', 'ip')),
    key_value TEXT    NOT NULL CHECK (length(key_value) <= 320),
    failed_at INTEGER NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures (key_kind, key_value, failed_at);
CREATE INDEX auth_failures_failed_at ON auth_failures (failed_at);
