using System.Data.Common;
using System.Security.Cryptography;
using Coffer.Contracts.Accounts;
using Coffer.Protocol.Encoding;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;

namespace Coffer.Server.Features.Account;

internal enum CredentialOutcome
{
    Changed,
    WrongKeyset,
    FewerIterations,
    NotPasswordAccount,
    Replayed,
}

/// <summary>What a credential change did: the sessions it ended (to forget on this node) and whom to tell.</summary>
internal sealed record CredentialChangeResult(CredentialOutcome Outcome, IReadOnlyList<string> EndedSessions, string Email = "", string Name = "",
    string DeviceName = "");

internal enum EmailRequestOutcome
{
    Requested,
    SameEmail,
    Throttled,
    Replayed,
}

/// <summary>An email change asked for: the token goes into the mail once and is stored only hashed.</summary>
internal sealed record EmailRequestResult(EmailRequestOutcome Outcome, byte[]? Token = null, long ExpiresAt = 0, string Name = "", long RetryAt = 0);

internal enum EmailConfirmOutcome
{
    Confirmed,
    Failed,
    Taken,
    Replayed,
}

/// <summary>A confirmed email change: the old address is told.</summary>
internal sealed record EmailConfirmResult(EmailConfirmOutcome Outcome, string NewEmail = "", string OldEmail = "", string Name = "");

/// <summary>
/// A member's own credentials (docs/adr/0017): the password or Secret Key change, which replaces salt, verifier and the
/// keyset's AUK seal in one transaction and ends the member's other sessions; and the sign-in email, changed only after the
/// new address confirms with the token mailed to it. Every write records its (session, seq) and its activity-log event in
/// its own transaction.
/// </summary>
internal sealed class CredentialStore(IDatabase database, AuditStore audit)
{
    /// <summary>How long an email confirmation token works.</summary>
    public static readonly TimeSpan EmailTokenLifetime = TimeSpan.FromHours(24);

    /// <summary>At most this many email-change mails per member per <see cref="EmailRequestWindow"/>: the new address is anyone's inbox.</summary>
    public const int EmailRequestsPerWindow = 3;

    public static readonly TimeSpan EmailRequestWindow = TimeSpan.FromHours(1);

    /// <summary>Wrong tokens before a pending email change is voided; with 256-bit tokens this only stops a client gone wrong.</summary>
    public const int EmailConfirmAttempts = 5;

    private string ForUpdate => database.Engine == DatabaseEngine.Postgres ? " FOR UPDATE" : "";

    public Task<CredentialChangeResult> ChangeAsync(CofferCaller caller, ChangeCredentialsRequest r, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new CredentialChangeResult(CredentialOutcome.Replayed, []);
            }
            // The member row is the lock: two changes of one account commit one after the other, each checked against the last.
            MemberRow m = (await c.OneAsync<MemberRow>(tx, """
                SELECT email AS Email, name AS Name, unlock_method AS UnlockMethod, kdf_iterations AS KdfIterations FROM members WHERE id = @MemberId
                """ + ForUpdate, new { caller.MemberId }, ct))!;
            if (m.UnlockMethod != "password")
            {
                return new CredentialChangeResult(CredentialOutcome.NotPasswordAccount, []);
            }
            KeysetRef? current = await c.OneAsync<KeysetRef>(tx,
                "SELECT id AS Id, serial AS Serial FROM keysets WHERE member_id = @MemberId ORDER BY serial DESC LIMIT 1", new { caller.MemberId }, ct);
            if (current is null || current.Id != r.KeysetId || current.Serial != r.KeysetSerial)
            {
                return new CredentialChangeResult(CredentialOutcome.WrongKeyset, []);
            }
            if (r.Kdf.Iterations < (m.KdfIterations ?? 0))
            {
                return new CredentialChangeResult(CredentialOutcome.FewerIterations, []);
            }
            await c.ExecAsync(tx, """
                UPDATE members SET kdf_alg = @alg, kdf_salt = @salt, kdf_iterations = @iterations, srp_verifier = @verifier, updated_at = @now
                WHERE id = @MemberId
                """, new
            {
                alg = r.Kdf.Alg,
                salt = Base64Url.Decode(r.Kdf.Salt),
                iterations = (long)r.Kdf.Iterations,
                verifier = Base64Url.Decode(r.Verifier),
                now,
                caller.MemberId,
            }, ct);
            await c.ExecAsync(tx, "UPDATE keysets SET sealed_symmetric_key = @sealedKey WHERE member_id = @MemberId AND id = @KeysetId AND serial = @serial",
                new { sealedKey = SetupStore.EnvelopeJson(r.SealedSymmetricKey), caller.MemberId, r.KeysetId, serial = (long)r.KeysetSerial }, ct);
            // Every other session signed in with the old secrets; the one that made the change proved them minutes ago and stays.
            // Counted (and forgotten on this node) are those still within their lifetime; the update ends the rest too.
            List<string> ended = await c.ListAsync<string>(tx,
                "SELECT id FROM sessions WHERE member_id = @MemberId AND id <> @SessionId AND ended_at IS NULL AND expires_at > @now",
                new { caller.MemberId, caller.SessionId, now }, ct);
            await c.ExecAsync(tx, "UPDATE sessions SET ended_at = @now WHERE member_id = @MemberId AND id <> @SessionId AND ended_at IS NULL",
                new { now, caller.MemberId, caller.SessionId }, ct);
            // Sign-ins between exchange and verify fail anyway (verify compares the verifier); these would only fail later.
            await c.ExecAsync(tx, "DELETE FROM auth_attempts WHERE member_id = @MemberId", new { caller.MemberId }, ct);
            string deviceName = await c.ScalarAsync<string>(tx, "SELECT name FROM devices WHERE id = @DeviceId", new { caller.DeviceId }, ct) ?? "";
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.CredentialsChange, AuditTargets.Member, caller.MemberId,
                details: AuditEntry.DetailsOf(("kind", r.Kind), ("iterations", r.Kdf.Iterations), ("keysetSerial", r.KeysetSerial),
                    ("endedSessions", ended.Count)))], ct);
            return new CredentialChangeResult(CredentialOutcome.Changed, ended, m.Email, m.Name, deviceName);
        }, ct);

    public Task<EmailRequestResult> RequestEmailChangeAsync(CofferCaller caller, string newEmail, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new EmailRequestResult(EmailRequestOutcome.Replayed);
            }
            MemberRow m = (await c.OneAsync<MemberRow>(tx, "SELECT email AS Email, name AS Name FROM members WHERE id = @MemberId" + ForUpdate,
                new { caller.MemberId }, ct))!;
            if (string.Equals(m.Email, newEmail, StringComparison.Ordinal))
            {
                return new EmailRequestResult(EmailRequestOutcome.SameEmail);
            }
            long windowStart = now - (long)EmailRequestWindow.TotalMilliseconds;
            List<long> recent = await c.ListAsync<long>(tx,
                "SELECT created_at FROM email_changes WHERE member_id = @MemberId AND created_at > @windowStart ORDER BY created_at",
                new { caller.MemberId, windowStart }, ct);
            if (recent.Count >= EmailRequestsPerWindow)
            {
                return new EmailRequestResult(EmailRequestOutcome.Throttled, RetryAt: recent[^EmailRequestsPerWindow] + (long)EmailRequestWindow.TotalMilliseconds);
            }
            // Only the newest request can be confirmed; rows older than the token lifetime have served the throttle.
            await c.ExecAsync(tx, "UPDATE email_changes SET ended_at = @now, outcome = 'superseded' WHERE member_id = @MemberId AND ended_at IS NULL",
                new { now, caller.MemberId }, ct);
            await c.ExecAsync(tx, "DELETE FROM email_changes WHERE member_id = @MemberId AND created_at < @old",
                new { caller.MemberId, old = now - (long)EmailTokenLifetime.TotalMilliseconds }, ct);
            byte[] token = RandomNumberGenerator.GetBytes(32);
            string id = Ids.New();
            long expiresAt = now + (long)EmailTokenLifetime.TotalMilliseconds;
            await c.ExecAsync(tx, """
                INSERT INTO email_changes (id, member_id, new_email, new_email_normalized, token_hash, failed_attempts, created_at, expires_at, ended_at, outcome)
                VALUES (@id, @MemberId, @newEmail, @normalized, @hash, 0, @now, @expiresAt, NULL, NULL)
                """, new { id, caller.MemberId, newEmail, normalized = Emails.Normalize(newEmail), hash = SHA256.HashData(token), now, expiresAt }, ct);
            // Neither address goes into the log (POLICY.md: only the identifiers needed).
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.EmailChangeRequest, AuditTargets.Member, caller.MemberId,
                details: AuditEntry.DetailsOf(("request", id)))], ct);
            return new EmailRequestResult(EmailRequestOutcome.Requested, token, expiresAt, m.Name);
        }, ct);

    /// <summary>
    /// Confirms the member's newest pending email change with its token. A wrong token counts against the request (and is the
    /// only thing written); after <see cref="EmailConfirmAttempts"/> wrong ones the request is void.
    /// </summary>
    public Task<EmailConfirmResult> ConfirmEmailChangeAsync(CofferCaller caller, byte[] token, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            if (!await RecordWriteAsync(c, tx, caller, now, ct))
            {
                return new EmailConfirmResult(EmailConfirmOutcome.Replayed);
            }
            MemberRow m = (await c.OneAsync<MemberRow>(tx, "SELECT email AS Email, name AS Name FROM members WHERE id = @MemberId" + ForUpdate,
                new { caller.MemberId }, ct))!;
            PendingRow? pending = await c.OneAsync<PendingRow>(tx, """
                SELECT id AS Id, new_email AS NewEmail, new_email_normalized AS NewEmailNormalized, token_hash AS TokenHash, failed_attempts AS FailedAttempts
                FROM email_changes WHERE member_id = @MemberId AND ended_at IS NULL AND expires_at > @now ORDER BY created_at DESC LIMIT 1
                """, new { caller.MemberId, now }, ct);
            if (pending is null)
            {
                return new EmailConfirmResult(EmailConfirmOutcome.Failed);
            }
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(token), pending.TokenHash))
            {
                bool voided = pending.FailedAttempts + 1 >= EmailConfirmAttempts;
                await c.ExecAsync(tx, voided
                    ? "UPDATE email_changes SET failed_attempts = failed_attempts + 1, ended_at = @now, outcome = 'voided' WHERE id = @Id"
                    : "UPDATE email_changes SET failed_attempts = failed_attempts + 1 WHERE id = @Id", new { now, pending.Id }, ct);
                return new EmailConfirmResult(EmailConfirmOutcome.Failed);
            }
            if (await c.ScalarAsync<long>(tx, "SELECT count(*) FROM members WHERE email_normalized = @NewEmailNormalized AND id <> @MemberId",
                    new { pending.NewEmailNormalized, caller.MemberId }, ct) > 0)
            {
                return new EmailConfirmResult(EmailConfirmOutcome.Taken);
            }
            await c.ExecAsync(tx, "UPDATE members SET email = @NewEmail, email_normalized = @NewEmailNormalized, updated_at = @now WHERE id = @MemberId",
                new { pending.NewEmail, pending.NewEmailNormalized, now, caller.MemberId }, ct);
            await c.ExecAsync(tx, "UPDATE email_changes SET ended_at = @now, outcome = 'confirmed' WHERE id = @Id", new { now, pending.Id }, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.EmailChange, AuditTargets.Member, caller.MemberId,
                details: AuditEntry.DetailsOf(("request", pending.Id)))], ct);
            return new EmailConfirmResult(EmailConfirmOutcome.Confirmed, pending.NewEmail, m.Email, m.Name);
        }, ct);

    // First in each write's transaction (as in VaultStore): a sealed write replayed to another node finds its (session, seq) and does nothing.
    private static async Task<bool> RecordWriteAsync(DbConnection c, DbTransaction tx, CofferCaller caller, long now, CancellationToken ct) =>
        await c.ExecAsync(tx, "INSERT INTO session_writes (session_id, seq, created_at) VALUES (@SessionId, @seq, @now) ON CONFLICT DO NOTHING",
            new { caller.SessionId, seq = checked((long)caller.Seq), now }, ct) == 1;

    private sealed class MemberRow
    {
        public string Email { get; set; } = "";
        public string Name { get; set; } = "";
        public string UnlockMethod { get; set; } = "";
        public long? KdfIterations { get; set; }
    }

    private sealed class KeysetRef
    {
        public string Id { get; set; } = "";
        public long Serial { get; set; }
    }

    private sealed class PendingRow
    {
        public string Id { get; set; } = "";
        public string NewEmail { get; set; } = "";
        public string NewEmailNormalized { get; set; } = "";
        public byte[] TokenHash { get; set; } = [];
        public long FailedAttempts { get; set; }
    }
}
