-- 0002_activity_log (SQLite 3.35): the activity log of POLICY.md "Accounting" and PROTOCOL.md §11 (issue 3, slice f):
-- a hash chain of events, checkpoints signed by the server's audit key, administrators' countersignatures,
-- and the record of retention purges. Keep it equivalent to migrations/postgres/0002_activity_log.sql.
--
-- Ids here are any lower-case UUID (ADR 0004 §2) and reference no table: the log outlives what it names.

-- The chain head: the last appended seq and its hash. Appenders lock this row (PostgreSQL FOR UPDATE; on
-- SQLite the write lock of BEGIN IMMEDIATE), so there is one chain however many nodes append.
CREATE TABLE audit_head (
    singleton INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    seq       INTEGER NOT NULL CHECK (seq >= 0),
    hash      BLOB    NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO audit_head (singleton, seq, hash) VALUES (1, 0, zeroblob(32));

-- One event. Every column but hash is an input of the chain hash (details through SHA-256 of its bytes exactly as
-- stored), so the row is verifiable as it stands. No secrets, emails, item contents or tokens, ever.
CREATE TABLE audit_events (
    seq             INTEGER NOT NULL PRIMARY KEY CHECK (seq >= 1),
    time            INTEGER NOT NULL,
    actor_member_id TEXT    CHECK (length(actor_member_id) = 36),
    device_id       TEXT    CHECK (length(device_id) = 36),
    session_id      TEXT    CHECK (length(session_id) = 36),
    ip              TEXT    CHECK (length(ip) BETWEEN 1 AND 45),
    action          TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    target_kind     TEXT    CHECK (length(target_kind) BETWEEN 1 AND 64),
    target_id       TEXT    CHECK (length(target_id) = 36),
    outcome         TEXT    NOT NULL CHECK (length(outcome) BETWEEN 1 AND 64),
    details         TEXT,                                                              -- JSON, the bytes that were hashed
    hash            BLOB    NOT NULL CHECK (length(hash) = 32)                          -- hash_seq (PROTOCOL.md §11)
);
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_actor ON audit_events (actor_member_id, seq);

-- Checkpoints (seq, chain hash, time) signed by the audit key (`checkpoint` record, PROTOCOL.md §5.2). The key is
-- in a 0600 file under the data directory, never here; its public key is kept with each checkpoint.
CREATE TABLE audit_checkpoints (
    seq             INTEGER NOT NULL PRIMARY KEY CHECK (seq >= 0),
    chain_hash      BLOB    NOT NULL CHECK (length(chain_hash) = 32),
    time            INTEGER NOT NULL,
    signature       BLOB    NOT NULL CHECK (length(signature) = 64),
    key_fingerprint BLOB    NOT NULL CHECK (length(key_fingerprint) = 32),
    public_key      BLOB    NOT NULL                                                   -- ECDSA P-256, DER SPKI
);

-- Administrators' countersignatures of checkpoints (`countersign` record), keyed by (seq, signer) and never by the
-- signature bytes, which are malleable (ADR 0004 §7).
CREATE TABLE audit_countersignatures (
    seq        INTEGER NOT NULL REFERENCES audit_checkpoints (seq) ON DELETE CASCADE,
    signer_id  TEXT    NOT NULL CHECK (length(signer_id) = 36),
    time       INTEGER NOT NULL,                                                      -- the signed time
    signature  BLOB    NOT NULL CHECK (length(signature) = 64),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (seq, signer_id)
);

-- Retention purges: events up to cut_seq were deleted after a checkpoint was signed at cut_seq, from which the chain
-- verifies. A gap at the start of the log without a row here is a deletion.
CREATE TABLE audit_purges (
    cut_seq   INTEGER NOT NULL PRIMARY KEY CHECK (cut_seq >= 1),
    cut_hash  BLOB    NOT NULL CHECK (length(cut_hash) = 32),
    cutoff    INTEGER NOT NULL,                                                       -- events older than this were purged
    purged_at INTEGER NOT NULL
);
