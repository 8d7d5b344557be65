-- 0016_brute_force (SQLite 3.35): brute-force bounds driven by the policy (docs/adr/0025-brute-force.md).
-- Keep it equivalent to migrations/postgres/0016_brute_force.sql.

-- Which kind of attempt failed: sign-in (password), TOTP, backup code or security key. All kinds count together per account,
-- device and IP; a success clears only its own kind, so a known password cannot wipe the count of guessed codes.
ALTER TABLE auth_failures ADD COLUMN factor TEXT NOT NULL DEFAULT 'password'
    CHECK (factor IN ('password', 'totp', 'backup_code', 'webauthn'));

-- An account locked for unknown devices: written when its failures reach the policy's threshold, lasting the policy's duration
-- from then on, ended early by an administrator. account_key is the member id, or the normalised email of an unknown one.
CREATE TABLE account_locks (
    account_key  TEXT    NOT NULL PRIMARY KEY CHECK (length(account_key) <= 320),
    locked_at    INTEGER NOT NULL,
    locked_until INTEGER NOT NULL CHECK (locked_until > locked_at)
);

-- When the device first completed a sign-in (password and any factor owed): only such devices are "known" and merely delayed
-- while the account is locked. A password alone on a new device does not make it known.
ALTER TABLE devices ADD COLUMN verified_at INTEGER;
UPDATE devices SET verified_at = created_at
WHERE id IN (SELECT device_id FROM sessions WHERE mfa_level <> 'pending')
   OR id IN (SELECT device_id FROM mfa_remembered_devices);
