-- 0013_audit_key_certificates (SQLite 3.35): the organisation root's certificates of the server's audit key, the key in
-- the data directory that signs activity-log checkpoints (PROTOCOL.md §11; the audit-key record of
-- docs/adr/0016-audit-key-certificate.md). One row per key, the newest certificate of it; rows of keys that were replaced
-- stay, so the checkpoints they signed still verify. The certificate with the largest issued_at names the current key.
-- Keep it equivalent to migrations/postgres/0013_audit_key_certificates.sql.
CREATE TABLE audit_key_certificates (
    key_fingerprint BLOB    NOT NULL PRIMARY KEY CHECK (length(key_fingerprint) = 32),  -- the record's auditFpr
    public_key      BLOB    NOT NULL,                                                   -- ECDSA P-256, DER SPKI
    issued_at       INTEGER NOT NULL CHECK (issued_at >= 0),
    signature       BLOB    NOT NULL CHECK (length(signature) = 64),                    -- the root's, over the audit-key record
    certified_by    TEXT    NOT NULL REFERENCES members (id),                           -- the Owner whose client signed it
    created_at      INTEGER NOT NULL
);
