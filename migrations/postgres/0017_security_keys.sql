-- 0017_security_keys (PostgreSQL): security keys as a second factor (WebAuthn Level 2; docs/adr/0026).
-- Keep it equivalent to migrations/sqlite/0017_security_keys.sql.

-- A member's registered security keys: a table of their own rather than widening mfa_factors.kind (SQLite cannot alter a
-- CHECK). credential_id is unique across the organisation (one per server): an assertion names it, and the server finds the
-- one member it belongs to. public_key is the COSE_Key exactly as the authenticator encoded it (RFC 9052 §7); sign_count the
-- newest signature counter accepted (§6.1.1); registration_flags the authenticator-data flags seen at registration (UV 0x04,
-- BE 0x08, BS 0x10); transports the tokens the browser reported, space-separated; user_handle the member's random WebAuthn
-- user id (the same for all their keys, never their member id or email).
CREATE TABLE security_keys (
    id                 uuid7  NOT NULL PRIMARY KEY,
    member_id          uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    credential_id      bytea  NOT NULL UNIQUE CHECK (octet_length(credential_id) BETWEEN 1 AND 1023),
    public_key         bytea  NOT NULL,
    sign_count         bigint NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    name               text   NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    registration_flags bigint NOT NULL CHECK (registration_flags BETWEEN 0 AND 255),
    transports         text   CHECK (length(transports) <= 200),
    user_handle        bytea  NOT NULL CHECK (octet_length(user_handle) BETWEEN 1 AND 64),
    created_at         bigint NOT NULL,
    last_used_at       bigint
);
CREATE INDEX security_keys_member ON security_keys (member_id);

-- A ceremony in progress: the 32-byte random challenge handed to the browser, bound to the session (and so the member) that
-- asked for it, for registration or assertion, valid 5 minutes and single use: the finishing call deletes the row it reads,
-- whatever the outcome. For a registration, name is the key's and user_handle the one the options named (the member's
-- existing one, or a new random one when this is their first key).
CREATE TABLE webauthn_ceremonies (
    id         uuid7  NOT NULL PRIMARY KEY,
    session_id uuid7  NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    member_id  uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind       text   NOT NULL CHECK (kind IN ('registration', 'assertion')),
    challenge  bytea  NOT NULL CHECK (octet_length(challenge) = 32),
    name       text   CHECK (length(name) BETWEEN 1 AND 100),
    user_handle bytea  CHECK (octet_length(user_handle) BETWEEN 1 AND 64),
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX webauthn_ceremonies_session ON webauthn_ceremonies (session_id);
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);
