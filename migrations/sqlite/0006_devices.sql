-- 0006_devices: remote wipe (PROTOCOL.md §6, ADR 0012). A session of a deauthorised device owes its client one
-- answer sealed under the session key that says "wipe": wipe_due_at is set when the device is deauthorised (or signs
-- in again while revoked), wipe_sent_at when that answer went out; after it the session gets plain 401s.
ALTER TABLE sessions ADD COLUMN wipe_due_at INTEGER;
ALTER TABLE sessions ADD COLUMN wipe_sent_at INTEGER;
