-- 0002 (SQLite): reserved for the members/groups slice developed in parallel; holds nothing. The numbering has
-- no gaps, so this placeholder lets 0003 apply; the lead replaces it with that slice's 0002 when merging.
SELECT 1;
