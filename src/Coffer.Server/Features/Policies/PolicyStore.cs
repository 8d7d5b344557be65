using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Policies;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Auth;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Setup;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Policies;

/// <summary>The policy document in force: the stored one, or the defaults (version 0) until someone writes one.</summary>
internal sealed record CurrentPolicy(string OrgId, long Version, PolicySettingsDto Settings, SignedPolicyDto? KeySettings, long UpdatedAt, string? UpdatedBy)
{
    public PolicyDocumentResponse ToResponse() => new(OrgId, Version, Settings, KeySettings, UpdatedAt, UpdatedBy);

    public long SessionIdleMs => (long)TimeSpan.FromMinutes(Settings.SessionIdleMinutes).TotalMilliseconds;

    public long SessionAbsoluteMs => (long)TimeSpan.FromHours(Settings.SessionAbsoluteHours).TotalMilliseconds;

    /// <summary>The brute-force settings of the document over the fixed delays (POLICY.md "Brute force").</summary>
    public ThrottlePolicy Throttle => ThrottlePolicy.Default with
    {
        LockoutThreshold = Settings.LockoutThreshold,
        Window = TimeSpan.FromMinutes(Settings.LockoutWindowMinutes),
        LockoutDuration = TimeSpan.FromMinutes(Settings.LockoutDurationMinutes),
    };
}

internal enum PolicyWriteOutcome
{
    Written,
    Conflict,
    Invalid,
}

/// <summary>
/// The organisation's policy document (docs/adr/0022): one row, versioned, written whole with the version the writer read.
/// Read on hot paths (every request's idle check, every sign-in), so it is cached for a few seconds; a write on this node
/// drops the cache at once, and other nodes see it within <see cref="CacheLifetimeMs"/>.
/// </summary>
internal sealed class PolicyStore(IDatabase database, AuditStore audit, IOptions<CofferOptions> options, TimeProvider clock)
{
    /// <summary>How long another node may keep serving an older document.</summary>
    public const long CacheLifetimeMs = 5_000;

    private CurrentPolicy? _cached;
    private long _cachedAt;

    /// <summary>The document in force (cached; never null once the organisation exists; defaults before).</summary>
    public async ValueTask<CurrentPolicy> CurrentAsync(CancellationToken ct)
    {
        CurrentPolicy? cached = Volatile.Read(ref _cached);
        long now = Environment.TickCount64;
        if (cached is not null && now - Volatile.Read(ref _cachedAt) < CacheLifetimeMs)
        {
            return cached;
        }
        CurrentPolicy fresh = await ReadAsync(ct);
        if (fresh.OrgId.Length == 0)
        {
            // Read before setup (the retention purge runs at start-up): not kept, or the first minutes after setup would serve
            // the defaults under no organisation id, which clients rightly refuse.
            return fresh;
        }
        Volatile.Write(ref _cached, fresh);
        Volatile.Write(ref _cachedAt, now);
        return fresh;
    }

    /// <summary>Drops the cache (after a write, or a restore).</summary>
    public void Invalidate() => Volatile.Write(ref _cached, null);

    private async Task<CurrentPolicy> ReadAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await ReadAsync(c, null, ct);
    }

    private async Task<CurrentPolicy> ReadAsync(DbConnection c, DbTransaction? tx, CancellationToken ct)
    {
        string orgId = await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct) ?? "";
        Row? row = await c.OneAsync<Row>(tx, """
            SELECT version AS Version, settings AS Settings, key_version AS KeyVersion, key_body AS KeyBody, key_issued_at AS KeyIssuedAt,
                   key_signature AS KeySignature, key_signed_by AS KeySignedBy, updated_at AS UpdatedAt, updated_by AS UpdatedBy
            FROM organisation_policy WHERE id = 1
            """, null, ct);
        if (row is null)
        {
            return new CurrentPolicy(orgId, 0, PolicyValues.Defaults(options.Value), null, 0, null);
        }
        PolicySettingsDto settings = JsonSerializer.Deserialize(row.Settings, CofferJsonContext.Default.PolicySettingsDto)
            ?? PolicyValues.Defaults(options.Value);
        SignedPolicyDto? key = row.KeyBody is null ? null
            : new SignedPolicyDto(PolicyValues.KeySettingsKind, row.KeyVersion!.Value, row.KeyBody, row.KeyIssuedAt!.Value,
                Base64Url.Encode(row.KeySignature!), row.KeySignedBy);
        return new CurrentPolicy(orgId, row.Version, settings, key, row.UpdatedAt, row.UpdatedBy);
    }

    /// <summary>
    /// Writes the document if it is still at <paramref name="request"/>'s expected version: the settings (validated by the
    /// caller) and, when given, key settings the root signed — the stored ones unchanged, or a newer version signed now.
    /// The change is in the activity log in the same transaction, with the names of the settings that changed.
    /// </summary>
    public async Task<(PolicyWriteOutcome Outcome, string? Detail, CurrentPolicy? Policy)> WriteAsync(CofferCaller caller, PolicyUpdateRequest request,
        CancellationToken ct)
    {
        long now = clock.NowMs();
        (PolicyWriteOutcome, string?, CurrentPolicy?) result = await database.InTransactionAsync(async (c, tx) =>
        {
            CurrentPolicy current = await ReadAsync(c, tx, ct);
            if (current.Version != request.ExpectedVersion)
            {
                return (PolicyWriteOutcome.Conflict, (string?)$"The policy is at version {current.Version}, not {request.ExpectedVersion}.", (CurrentPolicy?)current);
            }
            SignedPolicyDto? key = current.KeySettings;
            bool keyChanged = false;
            if (request.KeySettings is { } k && !SameSigned(k, current.KeySettings))
            {
                string? problem = await CheckSignedAsync(c, tx, k, current.KeySettings, now, ct);
                if (problem is not null)
                {
                    return (PolicyWriteOutcome.Invalid, (string?)problem, (CurrentPolicy?)null);
                }
                key = k with { SignedBy = caller.MemberId };
                keyChanged = true;
            }
            long version = current.Version + 1;
            string settingsJson = JsonSerializer.Serialize(request.Settings, CofferJsonContext.Default.PolicySettingsDto);
            object args = new
            {
                version,
                settings = settingsJson,
                keyVersion = key?.Version,
                keyBody = key?.Body,
                keyIssuedAt = key?.IssuedAt,
                keySignature = key is null ? null : Base64Url.Decode(key.Signature),
                keySignedBy = key?.SignedBy,
                now,
                by = caller.MemberId,
                expected = current.Version,
            };
            int written = current.Version == 0
                ? await c.ExecAsync(tx, """
                    INSERT INTO organisation_policy (id, version, settings, key_version, key_body, key_issued_at, key_signature, key_signed_by, updated_at, updated_by)
                    VALUES (1, @version, @settings, @keyVersion, @keyBody, @keyIssuedAt, @keySignature, @keySignedBy, @now, @by)
                    ON CONFLICT (id) DO NOTHING
                    """, args, ct)
                : await c.ExecAsync(tx, """
                    UPDATE organisation_policy SET version = @version, settings = @settings, key_version = @keyVersion, key_body = @keyBody,
                        key_issued_at = @keyIssuedAt, key_signature = @keySignature, key_signed_by = @keySignedBy, updated_at = @now, updated_by = @by
                    WHERE id = 1 AND version = @expected
                    """, args, ct);
            if (written != 1)
            {
                return (PolicyWriteOutcome.Conflict, (string?)"The policy changed meanwhile.", (CurrentPolicy?)null);
            }
            string changed = string.Join(' ', ChangedSettings(current.Settings, request.Settings).Concat(keyChanged ? ["keySettings"] : []));
            List<(string, object)> details = [("version", version), ("changed", changed)];
            if (keyChanged)
            {
                details.Add(("keySettingsVersion", key!.Version));
            }
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.PolicyUpdate, AuditTargets.Policy, current.OrgId,
                details: AuditEntry.DetailsOf([.. details]))], ct);
            return (PolicyWriteOutcome.Written, (string?)null, (CurrentPolicy?)new CurrentPolicy(current.OrgId, version, request.Settings, key, now, caller.MemberId));
        }, ct);
        Invalidate();
        return result;
    }

    /// <summary>Why a signed key policy cannot be stored, or null: the root's signature over this organisation's record, the next version, signed now.</summary>
    private static async Task<string?> CheckSignedAsync(DbConnection c, DbTransaction tx, SignedPolicyDto k, SignedPolicyDto? current, long now,
        CancellationToken ct)
    {
        if (!string.Equals(k.Kind, PolicyValues.KeySettingsKind, StringComparison.Ordinal))
        {
            return "keySettings.kind: must be key_settings";
        }
        long next = (current?.Version ?? 0) + 1;
        if (k.Version != next)
        {
            return $"keySettings.version: must be {next}, the next version (a changed body is a new version)";
        }
        if (Math.Abs(k.IssuedAt - now) > AuditKeyCertificateStore.ClockSkewMs || k.IssuedAt <= (current?.IssuedAt ?? 0))
        {
            return "keySettings.issuedAt: must be now, and after the current key settings'";
        }
        RequestValidation v = new();
        PolicyValues.ParseKeyBody(v, k.Body);
        if (!v.IsValid)
        {
            return "keySettings.body: must be the JSON {webSigning, confirmWithSas (admins|everyone|off), recoveryQuorum (1-10)}";
        }
        if (!Base64Url.TryDecode(k.Signature, out byte[]? signature) || signature.Length != EcdsaP256.SignatureSize)
        {
            return "keySettings.signature: must be 64 bytes of base64url";
        }
        OrgRow org = (await c.OneAsync<OrgRow>(tx, "SELECT id AS Id, root_public_key AS RootPublicKey FROM organisations", null, ct))!;
        Sha256Hash bodyHash = Sha256Hash.FromBytes(SHA256.HashData(Encoding.UTF8.GetBytes(k.Body)));
        using EcdsaP256PublicKey root = EcdsaP256.ImportPublicKey(org.RootPublicKey);
        bool verifies = SetupValidator.TryRecord(() => new PolicyTbs(org.Id, k.Kind, k.Version, bodyHash, k.IssuedAt), out PolicyTbs? record)
            && record!.Verify(root, signature);
        return verifies ? null : "keySettings.signature: must be the organisation root's signature over the policy record (only Owners' clients hold the root)";
    }

    private static bool SameSigned(SignedPolicyDto a, SignedPolicyDto? b) =>
        b is not null && a.Version == b.Version && a.IssuedAt == b.IssuedAt && string.Equals(a.Body, b.Body, StringComparison.Ordinal)
        && string.Equals(a.Signature, b.Signature, StringComparison.Ordinal);

    private static IEnumerable<string> ChangedSettings(PolicySettingsDto before, PolicySettingsDto after)
    {
        JsonElement a = JsonSerializer.SerializeToElement(before, CofferJsonContext.Default.PolicySettingsDto);
        JsonElement b = JsonSerializer.SerializeToElement(after, CofferJsonContext.Default.PolicySettingsDto);
        foreach (JsonProperty p in b.EnumerateObject())
        {
            if (!a.TryGetProperty(p.Name, out JsonElement old) || !string.Equals(old.GetRawText(), p.Value.GetRawText(), StringComparison.Ordinal))
            {
                yield return p.Name;
            }
        }
    }

    private sealed class Row
    {
        public long Version { get; set; }
        public string Settings { get; set; } = "";
        public long? KeyVersion { get; set; }
        public string? KeyBody { get; set; }
        public long? KeyIssuedAt { get; set; }
        public byte[]? KeySignature { get; set; }
        public string? KeySignedBy { get; set; }
        public long UpdatedAt { get; set; }
        public string? UpdatedBy { get; set; }
    }

    private sealed class OrgRow
    {
        public string Id { get; set; } = "";
        public byte[] RootPublicKey { get; set; } = [];
    }
}
