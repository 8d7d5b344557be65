using System.Data.Common;
using System.Security.Cryptography;
using Coffer.Server.Common.Data;

namespace Coffer.Server.Features.Auth;

internal sealed record OrganisationInfo(string Id, string AccountId, long CreatedAt);

internal sealed class SignInMember
{
    public string Id { get; set; } = "";
    public string State { get; set; } = "";
    public string? KdfAlg { get; set; }
    public byte[]? KdfSalt { get; set; }
    public long? KdfIterations { get; set; }
    public byte[]? SrpVerifier { get; set; }
}

internal sealed class AuthAttempt
{
    public string Id { get; set; } = "";
    public string? MemberId { get; set; }
    public string EmailNormalized { get; set; } = "";
    public string DeviceId { get; set; } = "";
    public string DeviceName { get; set; } = "";
    public string DevicePlatform { get; set; } = "";
    public string DeviceClientVersion { get; set; } = "";
    public string Ip { get; set; } = "";
    public byte[]? SrpB { get; set; }
    public byte[]? SrpA { get; set; }
    public byte[]? SrpServerPublic { get; set; }
    public byte[]? SrpVerifier { get; set; }
    public long ExpiresAt { get; set; }
}

internal sealed record NewSession(string SessionId, byte[] Key, long ExpiresAt, string MfaLevel);

internal enum SessionOutcome
{
    Created,
    DeviceOfAnotherMember,
    DeviceRevoked,
}

/// <summary>What a sign-in's last step made: the session (unless the device id is another member's), whether the
/// device signed in for the first time, and where to tell the member about it.</summary>
internal sealed record CreatedSession(SessionOutcome Outcome, bool NewDevice = false, string Email = "", string Name = "");

/// <summary>Sign-in state: attempts between start and verify, failures for throttling, and the sessions they end in.</summary>
internal sealed class AuthStore(IDatabase database)
{
    private const string DecoyKeyName = "decoy-hmac";

    public async Task<OrganisationInfo?> OrganisationAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<OrganisationInfo>(null, "SELECT id AS Id, account_id AS AccountId, created_at AS CreatedAt FROM organisations", null, ct);
    }

    /// <summary>The server's decoy answers for unknown emails, from an HMAC key made once and shared by every node.</summary>
    public async Task<DecoyIdentity> DecoyAsync(long now, CancellationToken ct)
    {
        await using (DbConnection read = await database.OpenAsync(ct))
        {
            ServerKey? existing = await read.OneAsync<ServerKey>(null, "SELECT value AS Value, created_at AS CreatedAt FROM server_keys WHERE name = @name",
                new { name = DecoyKeyName }, ct);
            if (existing is not null)
            {
                return new DecoyIdentity(existing.Value, existing.CreatedAt);
            }
        }
        return await database.InTransactionAsync(async (c, tx) =>
        {
            ServerKey? key = await c.OneAsync<ServerKey>(tx, "SELECT value AS Value, created_at AS CreatedAt FROM server_keys WHERE name = @name",
                new { name = DecoyKeyName }, ct);
            if (key is not null)
            {
                return new DecoyIdentity(key.Value, key.CreatedAt);
            }
            byte[] value = RandomNumberGenerator.GetBytes(32);
            await c.ExecAsync(tx, "INSERT INTO server_keys (name, value, created_at) VALUES (@name, @value, @now)", new { name = DecoyKeyName, value, now }, ct);
            return new DecoyIdentity(value, now);
        }, ct);
    }

    public async Task<SignInMember?> FindMemberAsync(string normalizedEmail, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<SignInMember>(null, """
            SELECT id AS Id, state AS State, kdf_alg AS KdfAlg, kdf_salt AS KdfSalt, kdf_iterations AS KdfIterations, srp_verifier AS SrpVerifier
            FROM members WHERE email_normalized = @normalizedEmail
            """, new { normalizedEmail }, ct);
    }

    public async Task<SignInMember?> MemberByIdAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<SignInMember>(null, """
            SELECT id AS Id, state AS State, kdf_alg AS KdfAlg, kdf_salt AS KdfSalt, kdf_iterations AS KdfIterations, srp_verifier AS SrpVerifier
            FROM members WHERE id = @memberId
            """, new { memberId }, ct);
    }

    public Task CreateAttemptAsync(AuthAttempt a, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            // Expired attempts are swept here, so the table stays small without a background job.
            await c.ExecAsync(tx, "DELETE FROM auth_attempts WHERE expires_at < @now", new { now }, ct);
            await c.ExecAsync(tx, """
                INSERT INTO auth_attempts (id, member_id, email_normalized, device_id, device_name, device_platform, device_client_version, ip,
                                           srp_b, srp_a, created_at, expires_at)
                VALUES (@Id, @MemberId, @EmailNormalized, @DeviceId, @DeviceName, @DevicePlatform, @DeviceClientVersion, @Ip, NULL, NULL, @now, @ExpiresAt)
                """, new { a.Id, a.MemberId, a.EmailNormalized, a.DeviceId, a.DeviceName, a.DevicePlatform, a.DeviceClientVersion, a.Ip, now, a.ExpiresAt }, ct);
        }, ct);

    public async Task<AuthAttempt?> FindAttemptAsync(string id, long now, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<AuthAttempt>(null, AttemptColumns + " WHERE id = @id AND expires_at >= @now", new { id, now }, ct);
    }

    /// <summary>
    /// Records A, b, the B sent and the verifier the exchange ran against, once; a second exchange for the same attempt is refused.
    /// Verify resumes from them without recomputing B or a decoy verifier.
    /// </summary>
    public async Task<bool> RecordExchangeAsync(string id, byte[] a, byte[] b, byte[] serverPublic, byte[] verifier, CancellationToken ct) =>
        await database.InTransactionAsync((c, tx) =>
            c.ExecAsync(tx, """
                UPDATE auth_attempts SET srp_a = @a, srp_b = @b, srp_server_public = @serverPublic, srp_verifier = @verifier
                WHERE id = @id AND srp_b IS NULL
                """, new { id, a, b, serverPublic, verifier }, ct), ct) == 1;

    /// <summary>Reads and deletes an exchanged attempt: each attempt is verified at most once.</summary>
    public Task<AuthAttempt?> TakeAttemptAsync(string id, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            AuthAttempt? a = await c.OneAsync<AuthAttempt>(tx, AttemptColumns + " WHERE id = @id AND expires_at >= @now AND srp_b IS NOT NULL", new { id, now }, ct);
            if (a is not null)
            {
                await c.ExecAsync(tx, "DELETE FROM auth_attempts WHERE id = @id", new { id }, ct);
            }
            return a;
        }, ct);

    /// <summary>
    /// Creates the session (and the device on its first sign-in) and clears the account's and device's password failures (never
    /// guessed codes: docs/adr/0025). A session that owes no factor makes its device known (<c>verified_at</c>); one that owes
    /// a factor leaves that to the factor.
    /// A device that was deauthorised gets a session too, born ended and owing the sealed wipe answer: the proof was
    /// right, so this is the one way to tell a device that was offline until its sessions expired to wipe (ADR 0012).
    /// </summary>
    public Task<CreatedSession> CreateSessionAsync(AuthAttempt a, string memberId, NewSession s, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            KnownDevice? device = await c.OneAsync<KnownDevice>(tx, "SELECT member_id AS MemberId, revoked_at AS RevokedAt FROM devices WHERE id = @DeviceId",
                new { a.DeviceId }, ct);
            if (device is not null && device.MemberId != memberId)
            {
                return new CreatedSession(SessionOutcome.DeviceOfAnotherMember);   // a device id belongs to one member; a collision is a client bug or an attack
            }
            bool revoked = device?.RevokedAt is not null;
            if (device is null)
            {
                await c.ExecAsync(tx, """
                    INSERT INTO devices (id, member_id, name, platform, client_version, created_at, last_seen_at, revoked_at)
                    VALUES (@DeviceId, @memberId, @DeviceName, @DevicePlatform, @DeviceClientVersion, @now, @now, NULL)
                    """, new { a.DeviceId, memberId, a.DeviceName, a.DevicePlatform, a.DeviceClientVersion, now }, ct);
            }
            else if (revoked)
            {
                // What it says of itself no longer matters; when it was last heard of does.
                await c.ExecAsync(tx, "UPDATE devices SET last_seen_at = @now WHERE id = @DeviceId", new { a.DeviceId, now }, ct);
            }
            else
            {
                await c.ExecAsync(tx, "UPDATE devices SET name = @DeviceName, platform = @DevicePlatform, client_version = @DeviceClientVersion, last_seen_at = @now WHERE id = @DeviceId",
                    new { a.DeviceId, a.DeviceName, a.DevicePlatform, a.DeviceClientVersion, now }, ct);
            }
            await c.ExecAsync(tx, """
                INSERT INTO sessions (id, member_id, device_id, key_material, created_at, last_used_at, expires_at, mfa_level, mfa_at, ip, ended_at,
                                      wipe_due_at, wipe_sent_at)
                VALUES (@SessionId, @memberId, @DeviceId, @Key, @now, @now, @ExpiresAt, @MfaLevel, NULL, @Ip, @endedAt, @endedAt, NULL)
                """, new { s.SessionId, memberId, a.DeviceId, s.Key, now, s.ExpiresAt, s.MfaLevel, a.Ip, endedAt = revoked ? now : (long?)null }, ct);
            await c.ExecAsync(tx, """
                DELETE FROM auth_failures WHERE factor = 'password' AND ((key_kind = 'account' AND key_value = @memberId) OR (key_kind = 'device' AND key_value = @DeviceId))
                """, new { memberId, a.DeviceId }, ct);
            if (!revoked && s.MfaLevel != "pending")
            {
                await c.ExecAsync(tx, "UPDATE devices SET verified_at = @now WHERE id = @DeviceId AND verified_at IS NULL", new { a.DeviceId, now }, ct);
            }
            MemberContact contact = (await c.OneAsync<MemberContact>(tx, "SELECT email AS Email, name AS Name FROM members WHERE id = @memberId",
                new { memberId }, ct))!;
            return new CreatedSession(revoked ? SessionOutcome.DeviceRevoked : SessionOutcome.Created, device is null, contact.Email, contact.Name);
        }, ct);

    private const string AttemptColumns = """
        SELECT id AS Id, member_id AS MemberId, email_normalized AS EmailNormalized, device_id AS DeviceId, device_name AS DeviceName,
               device_platform AS DevicePlatform, device_client_version AS DeviceClientVersion, ip AS Ip, srp_b AS SrpB, srp_a AS SrpA,
               srp_server_public AS SrpServerPublic, srp_verifier AS SrpVerifier, expires_at AS ExpiresAt
        FROM auth_attempts
        """;

    private sealed class KnownDevice
    {
        public string MemberId { get; set; } = "";
        public long? RevokedAt { get; set; }
    }

    private sealed class MemberContact
    {
        public string Email { get; set; } = "";
        public string Name { get; set; } = "";
    }

    private sealed class ServerKey
    {
        public byte[] Value { get; set; } = [];
        public long CreatedAt { get; set; }
    }
}
