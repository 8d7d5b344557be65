-- 0004_sync (SQLite 3.35): delta sync cursors (issue 3, slice e; PROTOCOL.md §9). Tombstones are kept for 90 days;
-- purging them records, per vault, the highest content version whose tombstones may be gone, and a cursor
-- older than that is answered 410 cursor-expired. Keep it equivalent to migrations/postgres/0004_sync.sql.
ALTER TABLE vaults ADD COLUMN tombstones_purged_to INTEGER NOT NULL DEFAULT 0 CHECK (tombstones_purged_to >= 0);
CREATE INDEX tombstones_created ON tombstones (created_at);
