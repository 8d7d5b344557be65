-- 0009_operations (PostgreSQL): backup and restore (issue 3, item 2; docs/adr/0013-restore-epoch.md).
-- Keep it equivalent to migrations/sqlite/0009_operations.sql.

-- Written by `coffer-server backup` into its copy, never into a live database, so a restore can say when the backup
-- was taken (SQLite only: PostgreSQL is backed up with pg_dump, and this table stays empty).
CREATE TABLE backup_stamp (
    singleton      bigint NOT NULL PRIMARY KEY CHECK (singleton = 1),
    taken_at       bigint NOT NULL,
    server_version text   NOT NULL CHECK (length(server_version) BETWEEN 1 AND 100)
);

-- One row per restore; organisations.restore_epoch names the newest. Clients are told when the restore happened and
-- when its backup was taken (NULL when the database came back by other means, such as pg_restore).
CREATE TABLE restores (
    epoch             bigint NOT NULL PRIMARY KEY CHECK (epoch >= 1),
    restored_at       bigint NOT NULL,
    backup_taken_at   bigint,
    -- The activity-log head of the database the restore replaced, when known.
    replaced_head_seq bigint CHECK (replaced_head_seq >= 0)
);
