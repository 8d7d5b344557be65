-- 0005_group_permissions: a custom group's organisation permissions (POLICY.md "Authorisation": custom groups get
-- any subset), a space-separated set of names; built-in groups' permissions are fixed by their kind in code.
ALTER TABLE groups ADD COLUMN permissions TEXT NOT NULL DEFAULT '' CHECK (length(permissions) <= 400);
