-- 0017_security_keys (SQLite 3.35): security keys as a second factor (WebAuthn Level 2; docs/adr/0026).
-- Keep it equivalent to migrations/postgres/0017_security_keys.sql.

-- A member's registered security keys: a table of their own rather than widening mfa_factors.kind (SQLite cannot alter a
-- CHECK). credential_id is unique across the organisation (one per server): an assertion names it, and the server finds the
-- one member it belongs to. public_key is the COSE_Key exactly as the authenticator encoded it (RFC 9052 §7); sign_count the
-- newest signature counter accepted (§6.1.1); registration_flags the authenticator-data flags seen at registration (UV 0x04,
-- BE 0x08, BS 0x10); transports the tokens the browser reported, space-separated; user_handle the member's random WebAuthn
-- user id (the same for all their keys, never their member id or email).
CREATE TABLE security_keys (
    id                 TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    member_id          TEXT    NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    credential_id      BLOB    NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key         BLOB    NOT NULL,
    sign_count         INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
    name               TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    registration_flags INTEGER NOT NULL CHECK (registration_flags BETWEEN 0 AND 255),
    transports         TEXT    CHECK (length(transports) <= 200),
    user_handle        BLOB    NOT NULL CHECK (length(user_handle) BETWEEN 1 AND 64),
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER
);
CREATE INDEX security_keys_member ON security_keys (member_id);

-- A ceremony in progress: the 32-byte random challenge handed to the browser, bound to the session (and so the member) that
-- asked for it, for registration or assertion, valid 5 minutes and single use: the finishing call deletes the row it reads,
-- whatever the outcome. For a registration, name is the key's and user_handle the one the options named (the member's
-- existing one, or a new random one when this is their first key).
CREATE TABLE webauthn_ceremonies (
    id         TEXT    NOT NULL PRIMARY KEY
        CHECK (id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(id, '-', '')) = 32 AND replace(id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    member_id  TEXT    NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('registration', 'assertion')),
    challenge  BLOB    NOT NULL CHECK (length(challenge) = 32),
    name       TEXT    CHECK (length(name) BETWEEN 1 AND 100),
    user_handle BLOB    CHECK (length(user_handle) BETWEEN 1 AND 64),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL CHECK (expires_at > created_at)
);
CREATE INDEX webauthn_ceremonies_session ON webauthn_ceremonies (session_id);
CREATE INDEX webauthn_ceremonies_expires ON webauthn_ceremonies (expires_at);
