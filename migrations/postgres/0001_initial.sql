-- 0001_initial (PostgreSQL): the organisation and its setup, members, keysets, certificates and the
-- revocation list, groups, invitations, devices, sessions and sign-in state (issue 3, slices b and c).
--
-- Types: ids are lowercase UUIDv7 text (PROTOCOL.md conventions), the uuid7 domain; times are int64 Unix
-- milliseconds (bigint); bytes are bytea; envelopes (PROTOCOL.md §4) are their JSON text. Every integer is
-- bigint, so both engines hand Dapper the same Int64. The server stores only what clients sealed, signed
-- or derived. Keep it equivalent to migrations/sqlite/0001_initial.sql: a test compares tables, columns
-- and nullability.

CREATE DOMAIN uuid7 AS text
    CHECK (VALUE ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$');

-- One organisation per install (singleton). Its root key is the trust anchor; the server only stores it.
CREATE TABLE organisations (
    id                      uuid7  NOT NULL PRIMARY KEY,
    singleton               bigint NOT NULL DEFAULT 1 UNIQUE CHECK (singleton = 1),
    name                    text   NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The Secret Key's account id: 6 characters of its 31-symbol alphabet (PROTOCOL.md §1).
    account_id              text   NOT NULL UNIQUE CHECK (account_id ~ '^[23456789ABCDEFGHJKLMNPQRSTVWXYZ]{6}$'),
    root_public_key         bytea  NOT NULL,                                              -- ECDSA P-256, DER SPKI
    root_fingerprint        bytea  NOT NULL CHECK (octet_length(root_fingerprint) = 32),  -- the organisation fingerprint
    -- The org-root record (id, account_id, root_fingerprint, created_at), signed by the root (P1363, 64 bytes).
    root_signature          bytea  NOT NULL CHECK (octet_length(root_signature) = 64),
    sealed_root_private_key text   NOT NULL,                                              -- envelope under the Owners group key
    created_at              bigint NOT NULL,                                              -- the org-root record's createdAt
    -- Raised by every restore, so clients' rollback protection accepts a legitimate restore.
    restore_epoch           bigint NOT NULL DEFAULT 0 CHECK (restore_epoch >= 0)
);

-- Root rotations (PROTOCOL.md §5.1): the old root signs the new one; clients follow the chain.
CREATE TABLE root_rotations (
    new_root_fingerprint bytea  NOT NULL PRIMARY KEY CHECK (octet_length(new_root_fingerprint) = 32),
    old_root_fingerprint bytea  NOT NULL UNIQUE CHECK (octet_length(old_root_fingerprint) = 32),
    new_root_public_key  bytea  NOT NULL,
    issued_at            bigint NOT NULL,
    signature            bytea  NOT NULL CHECK (octet_length(signature) = 64),            -- root-rotation, by the old root
    created_at           bigint NOT NULL
);

-- The one-time setup link's token, hashed; the token itself lives only in the printed link's fragment.
CREATE TABLE setup_tokens (
    token_hash bytea  NOT NULL PRIMARY KEY CHECK (octet_length(token_hash) = 32),         -- SHA-256
    created_at bigint NOT NULL,
    used_at    bigint
);

-- Secrets of the server itself that every node must share (e.g. the HMAC key behind plausible answers for
-- unknown emails, PROTOCOL.md §3). Never a member's secret.
CREATE TABLE server_keys (
    name       text   NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    value      bytea  NOT NULL,
    created_at bigint NOT NULL
);

CREATE TABLE members (
    id               uuid7  NOT NULL PRIMARY KEY,
    organisation_id  uuid7  NOT NULL REFERENCES organisations (id),
    email            text   NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    email_normalized text   NOT NULL UNIQUE,                                              -- ASCII lower-cased by the server (PROTOCOL.md §1)
    name             text   NOT NULL CHECK (length(name) <= 200),
    state            text   NOT NULL
        CHECK (state IN ('invited', 'pending_confirmation', 'active', 'suspended', 'recovery_pending')),
    unlock_method    text   NOT NULL DEFAULT 'password' CHECK (unlock_method IN ('password', 'sso')),
    kdf_alg          text   CHECK (kdf_alg = 'coffer/2skd/v1'),
    kdf_salt         bytea  CHECK (octet_length(kdf_salt) = 16),
    kdf_iterations   bigint CHECK (kdf_iterations > 0),
    srp_verifier     bytea  CHECK (octet_length(srp_verifier) BETWEEN 1 AND 512),        -- v = g^x mod N, big-endian
    created_at       bigint NOT NULL,
    updated_at       bigint NOT NULL,
    -- An invited member has chosen nothing yet; from acceptance on, KDF parameters and verifier exist together.
    CHECK ((state = 'invited') = (srp_verifier IS NULL)),
    CHECK ((kdf_alg IS NULL) = (srp_verifier IS NULL) AND (kdf_salt IS NULL) = (srp_verifier IS NULL)
           AND (kdf_iterations IS NULL) = (srp_verifier IS NULL))
);

CREATE TABLE groups (
    id              uuid7  NOT NULL PRIMARY KEY,
    organisation_id uuid7  NOT NULL REFERENCES organisations (id),
    kind            text   NOT NULL
        CHECK (kind IN ('owners', 'administrators', 'team_members', 'guests', 'provision_managers', 'recovery', 'custom')),
    name            text   NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at      bigint NOT NULL
);
-- Each built-in group exists once.
CREATE UNIQUE INDEX groups_builtin_kind ON groups (kind) WHERE kind <> 'custom';

-- A member's or a group's keys (PROTOCOL.md §5): one row per serial. Private keys are sealed under the
-- keyset's symmetric key; a member's symmetric key is sealed under their AUK, a group's is wrapped to each
-- member (group_memberships).
CREATE TABLE keysets (
    id                            uuid7  NOT NULL,
    serial                        bigint NOT NULL CHECK (serial >= 1),
    member_id                     uuid7  REFERENCES members (id),
    group_id                      uuid7  REFERENCES groups (id),
    sealed_symmetric_key          text,                                                   -- envelope, .../sym
    sealed_encryption_private_key text   NOT NULL,                                        -- envelope, .../rsa (PKCS#8)
    sealed_signing_private_key    text   NOT NULL,                                        -- envelope, .../sig (PKCS#8)
    encryption_public_key         bytea  NOT NULL,                                        -- RSA-2048, DER SPKI
    signing_public_key            bytea  NOT NULL,                                        -- ECDSA P-256, DER SPKI
    created_at                    bigint NOT NULL,
    PRIMARY KEY (id, serial),
    UNIQUE (member_id, serial),
    UNIQUE (group_id, serial),
    CHECK ((member_id IS NULL) <> (group_id IS NULL)),
    CHECK ((member_id IS NULL) = (sealed_symmetric_key IS NULL))
);

-- A member's pins record (PROTOCOL.md §5.1), sealed under their keyset key; version n is in its AAD.
CREATE TABLE pins (
    member_id     uuid7  NOT NULL PRIMARY KEY REFERENCES members (id) ON DELETE CASCADE,
    keyset_id     uuid7  NOT NULL,
    keyset_serial bigint NOT NULL,
    version       bigint NOT NULL CHECK (version >= 1),
    sealed_pins   text   NOT NULL,                                                        -- envelope, coffer/keyset/<id>/pins/v<n>
    updated_at    bigint NOT NULL,
    FOREIGN KEY (keyset_id, keyset_serial) REFERENCES keysets (id, serial)
);
CREATE INDEX pins_keyset ON pins (keyset_id, keyset_serial);

-- Issuer certificates (signed by the root) and member and group certificates (signed by an issuer),
-- PROTOCOL.md §5.1-5.2. The columns are the signed record's fields; which apply depends on the kind.
-- Member and group public keys are in keysets; an issuer's public key is here.
CREATE TABLE certificates (
    id                     uuid7  NOT NULL PRIMARY KEY,
    kind                   text   NOT NULL CHECK (kind IN ('issuer', 'member', 'group')),
    subject_id             uuid7  NOT NULL,                        -- issuer: the issuer id; member: the member id; group: the group id
    role                   text   CHECK (role IN ('admin', 'provisioning')),              -- issuer
    holder_id              uuid7,                                                         -- issuer: the administrator or SCIM bridge
    public_key             bytea,                                                         -- issuer: ECDSA P-256, DER SPKI
    sealed_private_key     text,                                                          -- issuer: envelope under the holder's keyset key
    expires_at             bigint,                                                        -- issuer
    base_group             text   CHECK (base_group IN ('team_members', 'guests')),       -- member
    group_kind             text                                                           -- group
        CHECK (group_kind IN ('owners', 'administrators', 'team_members', 'guests', 'provision_managers', 'recovery', 'custom')),
    encryption_fingerprint bytea  CHECK (octet_length(encryption_fingerprint) = 32),      -- member, group
    signing_fingerprint    bytea  CHECK (octet_length(signing_fingerprint) = 32),         -- all (issuer: issuerFpr)
    keyset_id              uuid7,                                                         -- member, group
    keyset_serial          bigint,                                                        -- member, group
    issuer_id              uuid7,                                                         -- member, group: who signed
    issued_at              bigint NOT NULL,
    signature              bytea  NOT NULL CHECK (octet_length(signature) = 64),
    created_at             bigint NOT NULL,
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
    version    bigint NOT NULL PRIMARY KEY CHECK (version >= 1),
    issued_at  bigint NOT NULL,
    issuer_id  uuid7,                                                                     -- NULL: signed by the root
    entries    text   NOT NULL,                   -- JSON array of "<certKind>:<subjectId>:<keysetSerial>", in signed order
    signature  bytea  NOT NULL CHECK (octet_length(signature) = 64),
    created_at bigint NOT NULL
);

-- Membership is a signed wrap of the group keyset's symmetric key to the member's encryption key
-- (PROTOCOL.md §5.1, `wrap` record); the wrap names the group key serial it carries.
CREATE TABLE group_memberships (
    group_id    uuid7  NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    member_id   uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    key_serial  bigint NOT NULL,
    member_keyset_serial bigint NOT NULL,                                                 -- the member keyset the wrap is made for
    wrapped_key bytea  NOT NULL,                                                          -- RSA-OAEP ciphertext
    signer_id   uuid7  NOT NULL,                                                          -- a member or a SCIM bridge
    signature   bytea  NOT NULL CHECK (octet_length(signature) = 64),
    created_at  bigint NOT NULL,
    PRIMARY KEY (group_id, member_id),
    FOREIGN KEY (group_id, key_serial) REFERENCES keysets (group_id, serial)
);
CREATE INDEX group_memberships_member ON group_memberships (member_id);
CREATE INDEX group_memberships_key ON group_memberships (group_id, key_serial);

-- A group key wrapped to a managing group (Owners, Administrators: docs/adr/0006), so that whoever holds the
-- managing group's key can add members to the managed group. Same signed wrap record, recipient a group.
CREATE TABLE group_manager_wraps (
    group_id           uuid7  NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    key_serial         bigint NOT NULL,
    manager_group_id   uuid7  NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    manager_key_serial bigint NOT NULL,
    wrapped_key        bytea  NOT NULL,                                                   -- RSA-OAEP ciphertext
    signer_id          uuid7  NOT NULL,
    signature          bytea  NOT NULL CHECK (octet_length(signature) = 64),
    created_at         bigint NOT NULL,
    PRIMARY KEY (group_id, manager_group_id),
    FOREIGN KEY (group_id, key_serial) REFERENCES keysets (group_id, serial),
    FOREIGN KEY (manager_group_id, manager_key_serial) REFERENCES keysets (group_id, serial),
    CHECK (group_id <> manager_group_id)
);
CREATE INDEX group_manager_wraps_manager ON group_manager_wraps (manager_group_id);

-- An invitation (PROTOCOL.md §8): the member row exists from the invitation on, in state 'invited'.
CREATE TABLE invitations (
    id          uuid7  NOT NULL PRIMARY KEY,
    member_id   uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    token_hash  bytea  NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),            -- SHA-256 of the token in the link's fragment
    base_group  text   NOT NULL CHECK (base_group IN ('team_members', 'guests')),
    invited_by  uuid7  NOT NULL,                                                          -- a member or a SCIM bridge
    created_at  bigint NOT NULL,
    expires_at  bigint NOT NULL,
    accepted_at bigint
);
CREATE INDEX invitations_member ON invitations (member_id);

CREATE TABLE devices (
    id             uuid7  NOT NULL PRIMARY KEY,
    member_id      uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    name           text   NOT NULL CHECK (length(name) <= 200),
    platform       text   NOT NULL CHECK (length(platform) <= 100),
    client_version text   NOT NULL CHECK (length(client_version) <= 100),
    created_at     bigint NOT NULL,
    last_seen_at   bigint NOT NULL,
    revoked_at     bigint                                                                 -- deauthorised: sessions end, wipe on next contact
);
CREATE INDEX devices_member ON devices (member_id);

-- A signed-in session (PROTOCOL.md §6). An ended session keeps its key until it expires, so a wipe
-- instruction can still be sealed to its device.
CREATE TABLE sessions (
    id           uuid7  NOT NULL PRIMARY KEY,
    member_id    uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    device_id    uuid7  NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key_material bytea  NOT NULL CHECK (octet_length(key_material) >= 32),               -- the server's half: SRP's K
    created_at   bigint NOT NULL,
    last_used_at bigint NOT NULL,                                                         -- idle expiry counts from here
    expires_at   bigint NOT NULL,                                                         -- absolute lifetime
    -- not_required: no factor owed; pending: limited to MFA calls; satisfied: presented. mfa_at: the last factor (step-up).
    mfa_level    text   NOT NULL CHECK (mfa_level IN ('not_required', 'pending', 'satisfied')),
    mfa_at       bigint,
    ip           text   NOT NULL CHECK (length(ip) <= 45),
    ended_at     bigint
);
CREATE INDEX sessions_member ON sessions (member_id);
CREATE INDEX sessions_device ON sessions (device_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Sequence numbers of writes, unique per session, recorded in the write's own transaction so a write
-- replayed to another node fails (PROTOCOL.md §6).
CREATE TABLE session_writes (
    session_id uuid7  NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        bigint NOT NULL CHECK (seq >= 0),
    created_at bigint NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- A sign-in in progress (PROTOCOL.md §3), between auth/start and auth/verify; deleted when used or expired.
CREATE TABLE auth_attempts (
    id                    uuid7  NOT NULL PRIMARY KEY,                                    -- the authId
    member_id             uuid7  REFERENCES members (id) ON DELETE CASCADE,              -- NULL: unknown email, every answer fake
    email_normalized      text   NOT NULL,
    device_id             uuid7  NOT NULL,                                                -- a device row is made only on success
    device_name           text   NOT NULL CHECK (length(device_name) <= 200),
    device_platform       text   NOT NULL CHECK (length(device_platform) <= 100),
    device_client_version text   NOT NULL CHECK (length(device_client_version) <= 100),
    ip                    text   NOT NULL CHECK (length(ip) <= 45),
    srp_b                 bytea  CHECK (octet_length(srp_b) = 32),                        -- the server's secret ephemeral, from exchange
    srp_a                 bytea  CHECK (octet_length(srp_a) = 512),                       -- the client's A, from exchange
    created_at            bigint NOT NULL,
    expires_at            bigint NOT NULL,
    CHECK ((srp_a IS NULL) = (srp_b IS NULL))
);
CREATE INDEX auth_attempts_member ON auth_attempts (member_id);
CREATE INDEX auth_attempts_expires ON auth_attempts (expires_at);

-- Failed sign-in, MFA and code attempts, counted per account (unknown emails too), device and IP for
-- throttling and lockout (POLICY.md); purged once older than the longest window.
CREATE TABLE auth_failures (
    id        bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_kind  text   NOT NULL CHECK (key_kind IN ('account', 'device', 'ip')),
    key_value text   NOT NULL CHECK (length(key_value) <= 320),
    failed_at bigint NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures (key_kind, key_value, failed_at);
CREATE INDEX auth_failures_failed_at ON auth_failures (failed_at);
