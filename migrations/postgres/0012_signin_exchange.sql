-- 0012_signin_exchange (PostgreSQL): what auth/verify needs from auth/exchange, kept with the attempt so verify pays no
-- modular exponentiation it already paid (docs/performance.md "Server load"). Keep it equivalent to
-- migrations/sqlite/0012_signin_exchange.sql.

-- B as sent: verify resumes the exchange from b and B instead of recomputing g^b.
ALTER TABLE auth_attempts ADD COLUMN srp_server_public bytea CHECK (octet_length(srp_server_public) = 512);
-- The verifier the exchange ran against (the member's, or the email's decoy): the decoy is computed once per attempt, not
-- again at verify. Verify still compares a member's current verifier with it, so a password changed in between fails.
ALTER TABLE auth_attempts ADD COLUMN srp_verifier bytea CHECK (octet_length(srp_verifier) = 512);
