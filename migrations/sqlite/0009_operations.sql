-- 0009_operations (SQLite 3.35): backup and restore (issue 3, item 2; docs/adr/0013-restore-epoch.md).
-- Keep it equivalent to migrations/postgres/0009_operations.sql.

-- Written by `coffer-server backup` into its copy, never into a live database, so a restore can say when the backup
-- was taken. `coffer-server restore` deletes the row from the database it puts in place.
CREATE TABLE backup_stamp (
    singleton      INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    taken_at       INTEGER NOT NULL,
    server_version TEXT    NOT NULL CHECK (length(server_version) BETWEEN 1 AND 100)
);

-- One row per restore; organisations.restore_epoch names the newest. Clients are told when the restore happened and
-- when its backup was taken (NULL when the database came back by other means, such as pg_restore).
CREATE TABLE restores (
    epoch             INTEGER NOT NULL PRIMARY KEY CHECK (epoch >= 1),
    restored_at       INTEGER NOT NULL,
    backup_taken_at   INTEGER,
    -- The activity-log head of the database the restore replaced, when known: events after the restored head up
    -- to this one are not in this log (the replaced file is kept beside the database).
    replaced_head_seq INTEGER CHECK (replaced_head_seq >= 0)
);
