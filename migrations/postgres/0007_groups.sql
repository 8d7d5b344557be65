-- 0007_groups (PostgreSQL): group key rotation (issue 3 item 6; PROTOCOL.md §5 "From a group", §5.1; docs/adr/0010).
-- A group certificate made at a rotation carries the succession signature: the previous serial's group signing key
-- over this certificate's group-cert record, so a client that pinned the old key can follow the rotation.
-- Keep it equivalent to migrations/sqlite/0007_groups.sql.
ALTER TABLE certificates ADD COLUMN succession_signature bytea
    CHECK (succession_signature IS NULL OR (kind = 'group' AND octet_length(succession_signature) = 64));
