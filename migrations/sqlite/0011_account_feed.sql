-- 0011_account_feed (SQLite 3.35): the account feed (PROTOCOL.md §9; docs/adr/0014-account-feed.md).
-- Keep it equivalent to migrations/postgres/0011_account_feed.sql.

-- The feed's position: the seq of the newest change. Every transaction that appends raises it by the number of rows it
-- appends (on PostgreSQL under this row's lock, held to commit), so seq order is commit order and a reader that read
-- the head has every change up to it committed.
CREATE TABLE account_feed_head (
    singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    seq       INTEGER NOT NULL CHECK (seq >= 0)
);
INSERT INTO account_feed_head (singleton, seq) VALUES (1, 0);

-- One change a member's client should pull: who it is for (a member, or NULL for everyone), what changed and the
-- version or serial it reached. Appended in the transaction of the change; never updated, never purged.
CREATE TABLE account_changes (
    seq        INTEGER NOT NULL PRIMARY KEY CHECK (seq >= 1),
    audience   TEXT    CHECK (length(audience) = 36),
    kind       TEXT    NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
    subject_id TEXT    NOT NULL CHECK (length(subject_id) = 36),
    version    INTEGER NOT NULL CHECK (version >= 0),
    created_at INTEGER NOT NULL
);
CREATE INDEX account_changes_audience ON account_changes (audience, seq);
