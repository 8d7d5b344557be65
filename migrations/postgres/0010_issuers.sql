-- 0010_issuers (PostgreSQL): issuer-key requests of administrators beyond the first Owner (PROTOCOL.md §5.1;
-- docs/adr/0015-issuer-certification.md). An administrator's client makes an issuer key, seals its private half
-- under the administrator's own keyset key and posts the public half here; an Owner's client certifies it with the
-- root, and the certificate (kind 'issuer') takes the sealed key with it. One pending request per holder: a new one
-- replaces the old. Keep it equivalent to migrations/sqlite/0010_issuers.sql.
CREATE TABLE issuer_requests (
    holder_id          uuid7  NOT NULL PRIMARY KEY REFERENCES members (id),
    issuer_id          uuid7  NOT NULL UNIQUE,
    role               text   NOT NULL CHECK (role IN ('admin', 'provisioning')),
    public_key         bytea  NOT NULL,                                               -- ECDSA P-256, DER SPKI
    fingerprint        bytea  NOT NULL CHECK (length(fingerprint) = 32),              -- the issuerFpr the certificate must name
    sealed_private_key text   NOT NULL,                                               -- envelope under the holder's keyset key
    created_at         bigint NOT NULL
);
