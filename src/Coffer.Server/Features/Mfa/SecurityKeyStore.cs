using System.Data.Common;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Features.Mfa;

internal sealed record SecurityKeyRow
{
    public string Id { get; init; } = "";
    public string MemberId { get; init; } = "";
    public byte[] CredentialId { get; init; } = [];
    public byte[] PublicKey { get; init; } = [];
    public long SignCount { get; init; }
    public string Name { get; init; } = "";
    public long RegistrationFlags { get; init; }
    public string? Transports { get; init; }
    public byte[] UserHandle { get; init; } = [];
    public long CreatedAt { get; init; }
    public long? LastUsedAt { get; init; }

    public IReadOnlyList<string>? TransportList => Transports is null ? null : Transports.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}

internal sealed record CeremonyRow
{
    public string Id { get; init; } = "";
    public string Kind { get; init; } = "";
    public byte[] Challenge { get; init; } = [];
    public string? Name { get; init; }
    public byte[]? UserHandle { get; init; }
    public long ExpiresAt { get; init; }
}

internal static class CeremonyKinds
{
    public const string Registration = "registration";
    public const string Assertion = "assertion";
}

/// <summary>
/// Security keys and their ceremonies (docs/adr/0026, migration 0017): a ceremony's challenge is bound to the session that asked,
/// lives 5 minutes and is read once (the finishing call deletes it whatever the outcome); a key's counter only moves forward, in
/// one conditional UPDATE, so two assertions carrying one counter value cannot both pass.
/// </summary>
internal sealed class SecurityKeyStore(IDatabase database, AuditStore audit, TimeProvider clock)
{
    public static readonly TimeSpan CeremonyLifetime = TimeSpan.FromMinutes(5);

    private const string KeyColumns = """
        id AS Id, member_id AS MemberId, credential_id AS CredentialId, public_key AS PublicKey, sign_count AS SignCount, name AS Name,
        registration_flags AS RegistrationFlags, transports AS Transports, user_handle AS UserHandle, created_at AS CreatedAt, last_used_at AS LastUsedAt
        """;

    public async Task<List<SecurityKeyRow>> KeysAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<SecurityKeyRow>(null, $"SELECT {KeyColumns} FROM security_keys WHERE member_id = @memberId ORDER BY created_at, id",
            new { memberId }, ct);
    }

    /// <summary>The member's key named by <paramref name="credentialId"/>, or null — also when it is another member's.</summary>
    public async Task<SecurityKeyRow?> KeyAsync(string memberId, byte[] credentialId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<SecurityKeyRow>(null, $"SELECT {KeyColumns} FROM security_keys WHERE credential_id = @credentialId AND member_id = @memberId",
            new { credentialId, memberId }, ct);
    }

    /// <summary>Starts a ceremony for the caller's session; expired ceremonies of anyone are swept first.</summary>
    public async Task<string> BeginAsync(CofferCaller caller, string kind, byte[] challenge, string? name, byte[]? userHandle, CancellationToken ct)
    {
        long now = clock.NowMs();
        string id = Ids.New();
        long expiresAt = now + (long)CeremonyLifetime.TotalMilliseconds;
        await database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecAsync(tx, "DELETE FROM webauthn_ceremonies WHERE expires_at <= @now", new { now }, ct);
            await c.ExecAsync(tx, """
                INSERT INTO webauthn_ceremonies (id, session_id, member_id, kind, challenge, name, user_handle, created_at, expires_at)
                VALUES (@id, @SessionId, @MemberId, @kind, @challenge, @name, @userHandle, @now, @expiresAt)
                """, new { id, caller.SessionId, caller.MemberId, kind, challenge, name, userHandle, now, expiresAt }, ct);
        }, ct);
        return id;
    }

    /// <summary>
    /// Reads and deletes the caller's session's ceremony <paramref name="ceremonyId"/>: single use, whatever comes next. Null when
    /// there is none in this session, it is of another kind, or it expired.
    /// </summary>
    public Task<CeremonyRow?> TakeAsync(CofferCaller caller, string ceremonyId, string kind, CancellationToken ct)
    {
        long now = clock.NowMs();
        return database.InTransactionAsync(async (c, tx) =>
        {
            CeremonyRow? row = await c.OneAsync<CeremonyRow>(tx, """
                SELECT id AS Id, kind AS Kind, challenge AS Challenge, name AS Name, user_handle AS UserHandle, expires_at AS ExpiresAt
                FROM webauthn_ceremonies WHERE id = @ceremonyId AND session_id = @SessionId AND member_id = @MemberId
                """, new { ceremonyId, caller.SessionId, caller.MemberId }, ct);
            if (row is null || await c.ExecAsync(tx, "DELETE FROM webauthn_ceremonies WHERE id = @ceremonyId", new { ceremonyId }, ct) != 1)
            {
                return null;   // another request read it first
            }
            return row.Kind == kind && now < row.ExpiresAt ? row : null;
        }, ct);
    }

    /// <summary>Stores a verified key with the <c>mfa.factor.add</c> event; false when its credential id is registered already.</summary>
    public Task<bool> AddAsync(SecurityKeyRow key, AuditEntry added, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            if (await c.ScalarAsync<long>(tx, "SELECT count(*) FROM security_keys WHERE credential_id = @CredentialId", new { key.CredentialId }, ct) > 0)
            {
                return false;
            }
            await c.ExecAsync(tx, """
                INSERT INTO security_keys (id, member_id, credential_id, public_key, sign_count, name, registration_flags, transports, user_handle,
                    created_at, last_used_at)
                VALUES (@Id, @MemberId, @CredentialId, @PublicKey, @SignCount, @Name, @RegistrationFlags, @Transports, @UserHandle, @CreatedAt, NULL)
                """, key, ct);
            await audit.AppendAsync(c, tx, [added], ct);
            return true;
        }, ct);

    /// <summary>Records an accepted assertion: the new counter and the time, only if the counter is still the one verified against.</summary>
    public async Task<bool> RecordUseAsync(string keyId, long verifiedAgainst, long signCount, CancellationToken ct)
    {
        long now = clock.NowMs();
        return await database.InTransactionAsync((c, tx) => c.ExecAsync(tx,
            "UPDATE security_keys SET sign_count = @signCount, last_used_at = @now WHERE id = @keyId AND sign_count = @verifiedAgainst",
            new { keyId, verifiedAgainst, signCount, now }, ct), ct) == 1;
    }
}
