-- 0015_policy_and_mfa (PostgreSQL): the organisation's policy document and members' second factors
-- (docs/adr/0022-mfa-and-policy.md). Keep it equivalent to migrations/sqlite/0015_policy_and_mfa.sql.

-- One row: the policy document. settings is the JSON the server enforces; key_body is the root-signed body of the
-- key-related settings (PROTOCOL.md §5.2, policy kind key_settings) exactly as stored, so its SHA-256 is what was signed.
CREATE TABLE organisation_policy (
    id               bigint NOT NULL PRIMARY KEY CHECK (id = 1),
    version          bigint NOT NULL CHECK (version >= 1),
    settings         text   NOT NULL,
    key_version      bigint CHECK (key_version >= 1),
    key_body         text,
    key_issued_at    bigint,
    key_signature    bytea  CHECK (octet_length(key_signature) = 64),
    key_signed_by    uuid7  REFERENCES members (id),
    updated_at       bigint NOT NULL,
    updated_by       uuid7  REFERENCES members (id),
    CHECK ((key_version IS NULL) = (key_body IS NULL) AND (key_body IS NULL) = (key_signature IS NULL)
           AND (key_body IS NULL) = (key_issued_at IS NULL))
);

-- A member's second factors. A TOTP secret is sealed (AES-256-GCM) under the server's MFA key, a file in the data
-- directory, never in the database; last_step is the newest accepted time step (each code once, RFC 6238 §5.2).
CREATE TABLE mfa_factors (
    id            uuid7  NOT NULL PRIMARY KEY,
    member_id     uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind          text   NOT NULL CHECK (kind IN ('totp')),
    name          text   NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    secret_sealed bytea  NOT NULL,
    last_step     bigint,
    created_at    bigint NOT NULL,
    confirmed_at  bigint,
    last_used_at  bigint
);
CREATE INDEX mfa_factors_member ON mfa_factors (member_id);

-- Backup codes: SHA-256 of each (80 random bits), single use; regeneration deletes the member's old ones.
CREATE TABLE mfa_backup_codes (
    member_id  uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    code_hash  bytea  NOT NULL CHECK (octet_length(code_hash) = 32),
    created_at bigint NOT NULL,
    used_at    bigint,
    PRIMARY KEY (member_id, code_hash)
);

-- Devices on which the member presented a factor: sign-ins from them skip it for the policy's mfa_remember_device_days
-- (counted from remembered_at at every sign-in, so a policy change applies at once). Deleted when a factor is removed;
-- a deauthorised device is never honoured.
CREATE TABLE mfa_remembered_devices (
    member_id     uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    device_id     uuid7  NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    remembered_at bigint NOT NULL,
    PRIMARY KEY (member_id, device_id)
);
