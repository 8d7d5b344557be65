-- 0011_account_feed (PostgreSQL): the account feed (PROTOCOL.md §9; docs/adr/0014-account-feed.md).
-- Keep it equivalent to migrations/sqlite/0011_account_feed.sql.

-- The feed's position: the seq of the newest change. Every transaction that appends raises it by the number of rows it
-- appends under this row's lock, held to commit, so seq order is commit order and a reader that read the head has
-- every change up to it committed.
CREATE TABLE account_feed_head (
    singleton bigint NOT NULL PRIMARY KEY CHECK (singleton = 1),
    seq       bigint NOT NULL CHECK (seq >= 0)
);
INSERT INTO account_feed_head (singleton, seq) VALUES (1, 0);

-- One change a member's client should pull: who it is for (a member, or NULL for everyone), what changed and the
-- version or serial it reached. Appended in the transaction of the change; never updated, never purged.
CREATE TABLE account_changes (
    seq        bigint NOT NULL PRIMARY KEY CHECK (seq >= 1),
    audience   text   CHECK (length(audience) = 36),
    kind       text   NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
    subject_id text   NOT NULL CHECK (length(subject_id) = 36),
    version    bigint NOT NULL CHECK (version >= 0),
    created_at bigint NOT NULL
);
CREATE INDEX account_changes_audience ON account_changes (audience, seq);
