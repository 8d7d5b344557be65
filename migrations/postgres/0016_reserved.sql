-- 0016_reserved: a placeholder for the migration a parallel branch (issue 5, security keys) adds as 0016, so this branch's 0017
-- runs in sequence. At merge the other branch's 0016 replaces this file.
SELECT 1;
