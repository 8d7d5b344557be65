-- 0008_member_lifecycle (PostgreSQL): removed members (issue 3; docs/adr/0009-member-removal.md). A removed member's
-- row stays, because their personal vault, keysets, certificates and the activity log still name it; removed_at marks
-- it, its state is no longer one that can sign in, and email_normalized becomes 'removed/<id>' (no '@', so no sign-in
-- can ever match it) so that the address can be invited again. Keep it equivalent to
-- migrations/sqlite/0008_member_lifecycle.sql.
ALTER TABLE members ADD COLUMN removed_at bigint;
