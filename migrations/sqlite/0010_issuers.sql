-- 0010_issuers (SQLite 3.35): issuer-key requests of administrators beyond the first Owner (PROTOCOL.md §5.1;
-- docs/adr/0015-issuer-certification.md). An administrator's client makes an issuer key, seals its private half
-- under the administrator's own keyset key and posts the public half here; an Owner's client certifies it with the
-- root, and the certificate (kind 'issuer') takes the sealed key with it. One pending request per holder: a new one
-- replaces the old. Keep it equivalent to migrations/postgres/0010_issuers.sql.
CREATE TABLE issuer_requests (
    holder_id          TEXT    NOT NULL PRIMARY KEY REFERENCES members (id),
    issuer_id          TEXT    NOT NULL UNIQUE
        CHECK (issuer_id GLOB '????????-????-7???-[89ab]???-????????????' AND length(replace(issuer_id, '-', '')) = 32 AND replace(issuer_id, '-', '') NOT GLOB '*[^0-9a-f]*'),
    role               TEXT    NOT NULL CHECK (role IN ('admin', 'provisioning')),
    public_key         BLOB    NOT NULL,                                              -- ECDSA P-256, DER SPKI
    fingerprint        BLOB    NOT NULL CHECK (length(fingerprint) = 32),             -- the issuerFpr the certificate must name
    sealed_private_key TEXT    NOT NULL,                                              -- envelope under the holder's keyset key
    created_at         INTEGER NOT NULL
);
