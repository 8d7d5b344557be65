using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Coffer.Contracts.Mfa;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Otp;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Auth;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Features.Mfa;

/// <summary>What the policy asks of one sign-in (docs/adr/0022).</summary>
/// <param name="Required">The policy asks this member for a factor.</param>
/// <param name="Remembered">This device presented one within the policy's remember window: nothing is owed.</param>
/// <param name="Methods">The kinds they may present (policy order, enrolled; backup codes last), or may enrol when they have none.</param>
/// <param name="EnrolmentRequired">They have no active factor.</param>
internal sealed record MfaRequirement(bool Required, bool Remembered, IReadOnlyList<string> Methods, bool EnrolmentRequired)
{
    public bool Pending => Required && !Remembered;
}

internal sealed record MfaFactorRow
{
    public string Id { get; init; } = "";
    public string MemberId { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Name { get; init; } = "";
    public byte[] SecretSealed { get; init; } = [];
    public long? LastStep { get; init; }
    public long CreatedAt { get; init; }
    public long? ConfirmedAt { get; init; }
    public long? LastUsedAt { get; init; }

    public MfaFactorDto ToDto() => new(Id, Kind, Name, ConfirmedAt is not null, CreatedAt, LastUsedAt);
}

internal enum MfaCheck
{
    Accepted,
    Wrong,
}

/// <summary>
/// Members' second factors (docs/adr/0022): TOTP (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step; each step accepted once per
/// factor), single-use backup codes stored as SHA-256, and the devices remembered for a factor.
/// </summary>
internal sealed class MfaStore(IDatabase database, MfaKey key, AuditStore audit, AuthFailures failures, SecurityKeyRelyingParty relyingParty,
    TimeProvider clock)
{
    public const int BackupCodeCount = 10;
    private const int TotpSecretBytes = 20;   // 160 bits, RFC 4226 §4's recommendation for HMAC-SHA-1
    private const int BackupCodeBytes = 10;   // 80 bits: 16 base32 characters

    private const string FactorColumns = """
        id AS Id, member_id AS MemberId, kind AS Kind, name AS Name, secret_sealed AS SecretSealed, last_step AS LastStep, created_at AS CreatedAt,
        confirmed_at AS ConfirmedAt, last_used_at AS LastUsedAt
        """;

    /// <summary>What the policy asks of a sign-in by <paramref name="memberId"/> on <paramref name="deviceId"/> now.</summary>
    public async Task<MfaRequirement> RequirementAsync(string memberId, string deviceId, CurrentPolicy policy, long now, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        bool admin = await IsAdministratorAsync(c, memberId, ct);
        bool required = string.Equals(policy.Settings.RequireMfa, PolicyValues.RequireMfaEveryone, StringComparison.Ordinal) || admin;
        if (!required)
        {
            return new MfaRequirement(false, false, [], false);
        }
        long? rememberedAt = await c.ScalarAsync<long?>(null, """
            SELECT r.remembered_at FROM mfa_remembered_devices r JOIN devices d ON d.id = r.device_id
            WHERE r.member_id = @memberId AND r.device_id = @deviceId AND d.revoked_at IS NULL
            """, new { memberId, deviceId }, ct);
        long window = (long)TimeSpan.FromDays(policy.Settings.MfaRememberDeviceDays).TotalMilliseconds;
        bool remembered = rememberedAt is long at && window > 0 && now < at + window;
        (IReadOnlyList<string> methods, bool enrol) = await MethodsAsync(c, memberId, policy, ct);
        return new MfaRequirement(true, remembered, methods, enrol);
    }

    /// <summary>Whether the member is an Owner or an Administrator (POLICY.md: they always need a factor).</summary>
    public static async Task<bool> IsAdministratorAsync(DbConnection c, string memberId, CancellationToken ct) =>
        await c.ScalarAsync<long>(null, """
            SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
            WHERE gm.member_id = @memberId AND g.kind IN (@owners, @administrators)
            """, new { memberId, owners = GroupKinds.Owners, administrators = GroupKinds.Administrators }, ct) > 0;

    public async Task<bool> IsRequiredAsync(string memberId, CurrentPolicy policy, CancellationToken ct)
    {
        if (string.Equals(policy.Settings.RequireMfa, PolicyValues.RequireMfaEveryone, StringComparison.Ordinal))
        {
            return true;
        }
        await using DbConnection c = await database.OpenAsync(ct);
        return await IsAdministratorAsync(c, memberId, ct);
    }

    /// <summary>The kinds of a member's active factors: confirmed TOTP factors and security keys (a table of their own, docs/adr/0026).</summary>
    public const string ActiveKindsSql = """
        SELECT DISTINCT kind FROM mfa_factors WHERE member_id = @MemberId AND confirmed_at IS NOT NULL
        UNION SELECT 'security_key' FROM security_keys WHERE member_id = @MemberId
        """;

    private async Task<(IReadOnlyList<string> Methods, bool Enrol)> MethodsAsync(DbConnection c, string memberId, CurrentPolicy policy,
        CancellationToken ct)
    {
        List<string> kinds = await c.ListAsync<string>(null, ActiveKindsSql, new { MemberId = memberId }, ct);
        // Security keys cannot be enrolled where this server cannot be a relying party (an IP address for a host name).
        List<string> allowed = [.. policy.Settings.MfaKinds.Where(k => PolicyValues.SupportedFactorKinds.Contains(k)
            && (k != MfaKinds.SecurityKey || relyingParty.Verifier is not null))];
        if (kinds.Count == 0)
        {
            return (allowed, true);
        }
        List<string> methods = [.. policy.Settings.MfaKinds.Where(kinds.Contains)];
        if (await BackupCodesLeftAsync(c, null, memberId, ct) > 0)
        {
            methods.Add(MfaKinds.BackupCode);
        }
        return (methods, false);
    }

    /// <summary>The member's sign-in email: the account name an authenticator app shows (it goes only to the member, sealed).</summary>
    public async Task<string> EmailAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ScalarAsync<string>(null, "SELECT email FROM members WHERE id = @memberId", new { memberId }, ct) ?? "member";
    }

    /// <summary>The member's factors: TOTP factors and security keys (active from registration; no secret here), oldest first.</summary>
    public async Task<List<MfaFactorRow>> FactorsAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        List<MfaFactorRow> factors = await c.ListAsync<MfaFactorRow>(null, $"SELECT {FactorColumns} FROM mfa_factors WHERE member_id = @memberId",
            new { memberId }, ct);
        factors.AddRange(await c.ListAsync<MfaFactorRow>(null, $"""
            SELECT id AS Id, member_id AS MemberId, '{MfaKinds.SecurityKey}' AS Kind, name AS Name, created_at AS CreatedAt, created_at AS ConfirmedAt,
                last_used_at AS LastUsedAt
            FROM security_keys WHERE member_id = @memberId
            """, new { memberId }, ct));
        return [.. factors.OrderBy(f => f.CreatedAt).ThenBy(f => f.Id, StringComparer.Ordinal)];
    }

    public async Task<int> BackupCodesLeftAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await BackupCodesLeftAsync(c, null, memberId, ct);
    }

    private static async Task<int> BackupCodesLeftAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct) =>
        (int)await c.ScalarAsync<long>(tx, "SELECT count(*) FROM mfa_backup_codes WHERE member_id = @memberId AND used_at IS NULL", new { memberId }, ct);

    /// <summary>
    /// Starts a TOTP factor: a fresh secret, sealed under the MFA key, inactive until confirmed. The member's earlier
    /// unconfirmed factors are dropped (an abandoned enrolment leaves nothing that could later be confirmed).
    /// </summary>
    public async Task<(string FactorId, string Uri)> EnrolTotpAsync(CofferCaller caller, string name, string accountLabel, string issuer, CancellationToken ct)
    {
        long now = clock.NowMs();
        string factorId = Ids.New();
        byte[] secret = RandomNumberGenerator.GetBytes(TotpSecretBytes);
        try
        {
            byte[] sealedSecret = key.Seal(secret, factorId, caller.MemberId);
            using OtpAuthUri uri = new(OtpType.Totp, secret, accountLabel, issuer);
            await database.InTransactionAsync(async (c, tx) =>
            {
                await c.ExecAsync(tx, "DELETE FROM mfa_factors WHERE member_id = @MemberId AND confirmed_at IS NULL", new { caller.MemberId }, ct);
                await c.ExecAsync(tx, """
                    INSERT INTO mfa_factors (id, member_id, kind, name, secret_sealed, last_step, created_at, confirmed_at, last_used_at)
                    VALUES (@factorId, @MemberId, @kind, @name, @sealedSecret, NULL, @now, NULL, NULL)
                    """, new { factorId, caller.MemberId, kind = MfaKinds.Totp, name, sealedSecret, now }, ct);
            }, ct);
            return (factorId, uri.Format());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>
    /// Checks a TOTP code against the member's factor <paramref name="factorId"/> (or, when null, each active one) and records
    /// the matched step, which must be newer than the last one accepted: a code works once. <paramref name="activate"/>
    /// confirms an inactive factor with its first code instead.
    /// </summary>
    public async Task<MfaFactorRow?> CheckTotpAsync(string memberId, string? factorId, string code, bool activate, CancellationToken ct)
    {
        long now = clock.NowMs();
        List<MfaFactorRow> factors = (await FactorsAsync(memberId, ct))
            .Where(f => f.Kind == MfaKinds.Totp && (factorId is null || f.Id == factorId) && (f.ConfirmedAt is null) == activate).ToList();
        foreach (MfaFactorRow factor in factors)
        {
            byte[]? secret = key.Open(factor.SecretSealed, factor.Id, memberId);
            if (secret is null)
            {
                continue;
            }
            long? step;
            using (Totp totp = new(secret))
            {
                step = totp.Verify(code, now / 1000, window: 1);
            }
            CryptographicOperations.ZeroMemory(secret);
            if (step is null)
            {
                continue;
            }
            // The condition on last_step makes the check and the record one atomic step: two requests with one code, one wins.
            int recorded = await database.InTransactionAsync((c, tx) => c.ExecAsync(tx, """
                UPDATE mfa_factors SET last_step = @step, last_used_at = @now, confirmed_at = COALESCE(confirmed_at, @now)
                WHERE id = @Id AND (last_step IS NULL OR last_step < @step)
                """, new { step, now, factor.Id }, ct), ct);
            if (recorded == 1)
            {
                return factor with { LastStep = step, LastUsedAt = now, ConfirmedAt = factor.ConfirmedAt ?? now };
            }
        }
        return null;
    }

    /// <summary>Uses one backup code: true once per code.</summary>
    public async Task<bool> UseBackupCodeAsync(string memberId, string code, CancellationToken ct)
    {
        byte[]? hash = HashBackupCode(code);
        if (hash is null)
        {
            return false;
        }
        long now = clock.NowMs();
        return await database.InTransactionAsync((c, tx) => c.ExecAsync(tx,
            "UPDATE mfa_backup_codes SET used_at = @now WHERE member_id = @memberId AND code_hash = @hash AND used_at IS NULL",
            new { memberId, hash, now }, ct), ct) == 1;
    }

    /// <summary>Ten new backup codes; the member's old ones are deleted in the same transaction, with the event.</summary>
    public async Task<IReadOnlyList<string>> RegenerateBackupCodesAsync(CofferCaller caller, CancellationToken ct)
    {
        long now = clock.NowMs();
        List<string> codes = [];
        List<byte[]> hashes = [];
        for (int i = 0; i < BackupCodeCount; i++)
        {
            byte[] raw = RandomNumberGenerator.GetBytes(BackupCodeBytes);
            string text = Base32.Encode(raw);
            CryptographicOperations.ZeroMemory(raw);
            codes.Add(string.Join('-', text.Chunk(4).Select(c => new string(c))));
            hashes.Add(HashBackupCode(text)!);
        }
        await database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecAsync(tx, "DELETE FROM mfa_backup_codes WHERE member_id = @MemberId", new { caller.MemberId }, ct);
            foreach (byte[] hash in hashes)
            {
                await c.ExecAsync(tx, "INSERT INTO mfa_backup_codes (member_id, code_hash, created_at, used_at) VALUES (@MemberId, @hash, @now, NULL)",
                    new { caller.MemberId, hash, now }, ct);
            }
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MfaBackupCodesRegenerate, AuditTargets.Member, caller.MemberId,
                details: AuditEntry.DetailsOf(("count", (long)BackupCodeCount)))], ct);
        }, ct);
        return codes;
    }

    /// <summary>
    /// Removes a factor of the caller's, with the event; every remembered device of theirs is forgotten (a lost phone must
    /// not leave devices that skip the factor), and with their last factor their backup codes go too. False when no such
    /// factor of theirs exists.
    /// </summary>
    public Task<bool> RemoveFactorAsync(CofferCaller caller, string factorId, CancellationToken ct)
    {
        long now = clock.NowMs();
        return database.InTransactionAsync(async (c, tx) =>
        {
            int removed = await c.ExecAsync(tx, "DELETE FROM mfa_factors WHERE id = @factorId AND member_id = @MemberId", new { factorId, caller.MemberId }, ct)
                + await c.ExecAsync(tx, "DELETE FROM security_keys WHERE id = @factorId AND member_id = @MemberId", new { factorId, caller.MemberId }, ct);
            if (removed == 0)
            {
                return false;
            }
            await c.ExecAsync(tx, "DELETE FROM mfa_remembered_devices WHERE member_id = @MemberId", new { caller.MemberId }, ct);
            long left = await c.ScalarAsync<long>(tx, "SELECT count(*) FROM mfa_factors WHERE member_id = @MemberId AND confirmed_at IS NOT NULL",
                new { caller.MemberId }, ct)
                + await c.ScalarAsync<long>(tx, "SELECT count(*) FROM security_keys WHERE member_id = @MemberId", new { caller.MemberId }, ct);
            if (left == 0)
            {
                await c.ExecAsync(tx, "DELETE FROM mfa_backup_codes WHERE member_id = @MemberId", new { caller.MemberId }, ct);
            }
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MfaFactorRemove, AuditTargets.MfaFactor, factorId)], ct);
            return true;
        }, ct);
    }

    /// <summary>
    /// The session presented a factor: it owes nothing now (mfa_at says when, for step-up), and the device is remembered when
    /// the policy remembers devices; the event says which kind was used.
    /// </summary>
    public Task SatisfyAsync(CofferCaller caller, bool rememberDevice, AuditEntry presented, CancellationToken ct)
    {
        long now = clock.NowMs();
        return database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecAsync(tx, "UPDATE sessions SET mfa_level = 'satisfied', mfa_at = @now WHERE id = @SessionId", new { now, caller.SessionId }, ct);
            // The factor makes the device known (only delayed while the account is locked) and clears the codes guessed on the
            // account and this device; password failures are the password's to clear (docs/adr/0025).
            await c.ExecAsync(tx, "UPDATE devices SET verified_at = @now WHERE id = @DeviceId AND member_id = @MemberId AND verified_at IS NULL",
                new { now, caller.DeviceId, caller.MemberId }, ct);
            await c.ExecAsync(tx, """
                DELETE FROM auth_failures WHERE factor <> 'password' AND ((key_kind = 'account' AND key_value = @MemberId) OR (key_kind = 'device' AND key_value = @DeviceId))
                """, new { caller.MemberId, caller.DeviceId }, ct);
            if (rememberDevice)
            {
                await c.ExecAsync(tx, "DELETE FROM mfa_remembered_devices WHERE member_id = @MemberId AND device_id = @DeviceId",
                    new { caller.MemberId, caller.DeviceId }, ct);
                await c.ExecAsync(tx, "INSERT INTO mfa_remembered_devices (member_id, device_id, remembered_at) VALUES (@MemberId, @DeviceId, @now)",
                    new { caller.MemberId, caller.DeviceId, now }, ct);
            }
            await audit.AppendAsync(c, tx, [presented], ct);
        }, ct);
    }

    public Task RecordAsync(AuditEntry entry, CancellationToken ct) => database.InTransactionAsync((c, tx) => audit.AppendAsync(c, tx, [entry], ct), ct);

    /// <summary>
    /// The wait owed before the caller presents a code (docs/adr/0025): counted with sign-in failures per account (the member),
    /// device and IP; while the account is locked a device that never completed a sign-in is refused, a known one only delayed.
    /// </summary>
    public async Task<TimeSpan> ThrottleWaitAsync(CofferCaller caller, ThrottlePolicy policy, long now, CancellationToken ct)
    {
        bool knownDevice = await failures.IsKnownDeviceAsync(caller.MemberId, caller.DeviceId, ct);
        return await failures.WaitAsync(policy, FailureKeysOf(caller), knownDevice, now, ct);
    }

    /// <summary>Counts a failed code of <paramref name="kind"/> (<see cref="FailureKinds"/>); true when it locked the account.</summary>
    public Task<bool> RecordFailureAsync(CofferCaller caller, ThrottlePolicy policy, string kind, long now, CancellationToken ct) =>
        failures.RecordAsync(policy, FailureKeysOf(caller), FailureKinds.OfFactor(kind), now, ct);

    private static FailureKeys FailureKeysOf(CofferCaller caller) => new(caller.MemberId, caller.DeviceId, caller.Ip ?? "unknown");

    /// <summary>SHA-256 of a backup code as typed (case, spaces and dashes ignored), or null when it cannot be one.</summary>
    private static byte[]? HashBackupCode(string code)
    {
        string normal = new([.. code.Where(ch => ch is not ('-' or ' ')).Select(char.ToUpperInvariant)]);
        if (normal.Length != 16 || !Base32.TryDecode(normal, out byte[] raw))
        {
            return null;
        }
        CryptographicOperations.ZeroMemory(raw);
        return SHA256.HashData(Encoding.ASCII.GetBytes(normal));
    }
}
