-- 0013_audit_key_certificates (PostgreSQL): the organisation root's certificates of the server's audit key, the key in
-- the data directory that signs activity-log checkpoints (PROTOCOL.md §11; the audit-key record of
-- docs/adr/0016-audit-key-certificate.md). One row per key, the newest certificate of it; rows of keys that were replaced
-- stay, so the checkpoints they signed still verify. The certificate with the largest issued_at names the current key.
-- Keep it equivalent to migrations/sqlite/0013_audit_key_certificates.sql.
CREATE TABLE audit_key_certificates (
    key_fingerprint bytea  NOT NULL PRIMARY KEY CHECK (octet_length(key_fingerprint) = 32), -- the record's auditFpr
    public_key      bytea  NOT NULL,                                                        -- ECDSA P-256, DER SPKI
    issued_at       bigint NOT NULL CHECK (issued_at >= 0),
    signature       bytea  NOT NULL CHECK (octet_length(signature) = 64),                   -- the root's, over the audit-key record
    certified_by    uuid7  NOT NULL REFERENCES members (id),                                -- the Owner whose client signed it
    created_at      bigint NOT NULL
);
