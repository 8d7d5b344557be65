-- 0013_email_changes (PostgreSQL): a member's request to change their sign-in email (docs/adr/0017-credential-change.md).
-- The token mailed to the new address is stored only as its SHA-256; a request ends when confirmed, superseded by a newer
-- one, or voided after too many wrong tokens. Rows count towards the hourly throttle and are swept a day after they were
-- made, at the member's next request.
-- Keep it equivalent to migrations/sqlite/0013_email_changes.sql.
CREATE TABLE email_changes (
    id                   uuid7  NOT NULL PRIMARY KEY,
    member_id            uuid7  NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    new_email            text   NOT NULL CHECK (length(new_email) BETWEEN 3 AND 320),
    new_email_normalized text   NOT NULL,                                             -- ASCII lower-cased by the server (PROTOCOL.md §1)
    token_hash           bytea  NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32), -- SHA-256 of the mailed token
    failed_attempts      bigint NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    created_at           bigint NOT NULL,
    expires_at           bigint NOT NULL,
    ended_at             bigint,
    outcome              text   CHECK (outcome IN ('confirmed', 'superseded', 'voided')),
    CHECK ((ended_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX email_changes_member ON email_changes (member_id, created_at);
