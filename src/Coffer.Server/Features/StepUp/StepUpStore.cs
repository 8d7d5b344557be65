using System.Data.Common;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Mfa;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Features.StepUp;

/// <summary>What a session has shown lately: when it last presented a factor (or SRP proof), and what its member can present.</summary>
/// <param name="SignedInAt">Unix ms: the session's SRP proof at sign-in.</param>
/// <param name="SteppedUpAt">Unix ms of its last factor (or step-up SRP proof), or null.</param>
/// <param name="FactorKinds">The kinds of the member's active factors (empty: they step up with SRP).</param>
/// <param name="BackupCodesLeft">Unused backup codes.</param>
internal sealed record StepUpState(long SignedInAt, long? SteppedUpAt, IReadOnlyList<string> FactorKinds, int BackupCodesLeft)
{
    public bool HasFactor => FactorKinds.Count > 0;

    /// <summary>
    /// When the session last proved the member is there: the factor's time for a member with a factor; for one without,
    /// the later of the sign-in's and a step-up's SRP proof (a fresh SRP proof is what they present).
    /// </summary>
    public long? FreshAt => HasFactor ? SteppedUpAt : Math.Max(SignedInAt, SteppedUpAt ?? 0);

    /// <summary>What the member may present, in the policy's order: factor kinds and backup codes, or <c>srp</c>.</summary>
    public IReadOnlyList<string> Methods(CurrentPolicy policy)
    {
        if (!HasFactor)
        {
            return [StepUpActions.SrpMethod];
        }
        List<string> methods = [.. policy.Settings.MfaKinds.Where(FactorKinds.Contains)];
        methods.AddRange(FactorKinds.Where(k => !methods.Contains(k)));
        if (BackupCodesLeft > 0)
        {
            methods.Add(MfaKinds.BackupCode);
        }
        return methods;
    }
}

/// <summary>The member's sign-in secrets for an in-session SRP re-proof.</summary>
internal sealed class StepUpMember
{
    public string EmailNormalized { get; set; } = "";
    public string? KdfAlg { get; set; }
    public byte[]? KdfSalt { get; set; }
    public long? KdfIterations { get; set; }
    public byte[]? SrpVerifier { get; set; }
    public string DeviceName { get; set; } = "";
    public string DevicePlatform { get; set; } = "";
    public string DeviceClientVersion { get; set; } = "";
}

/// <summary>Step-up state (docs/adr/0024): <c>sessions.mfa_at</c> is the session's freshness time, for a factor or an SRP re-proof.</summary>
internal sealed class StepUpStore(IDatabase database, AuditStore audit)
{
    public async Task<StepUpState?> StateAsync(CofferCaller caller, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        SessionTimes? times = await c.OneAsync<SessionTimes>(null, "SELECT created_at AS CreatedAt, mfa_at AS MfaAt FROM sessions WHERE id = @SessionId",
            new { caller.SessionId }, ct);
        if (times is null)
        {
            return null;
        }
        List<string> kinds = await c.ListAsync<string>(null, Mfa.MfaStore.ActiveKindsSql, new { caller.MemberId }, ct);
        long codes = await c.ScalarAsync<long>(null, "SELECT count(*) FROM mfa_backup_codes WHERE member_id = @MemberId AND used_at IS NULL",
            new { caller.MemberId }, ct);
        return new StepUpState(times.CreatedAt, times.MfaAt, kinds, (int)codes);
    }

    public async Task<StepUpMember?> MemberAsync(CofferCaller caller, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<StepUpMember>(null, """
            SELECT m.email_normalized AS EmailNormalized, m.kdf_alg AS KdfAlg, m.kdf_salt AS KdfSalt, m.kdf_iterations AS KdfIterations,
                   m.srp_verifier AS SrpVerifier, d.name AS DeviceName, d.platform AS DevicePlatform, d.client_version AS DeviceClientVersion
            FROM members m JOIN devices d ON d.member_id = m.id AND d.id = @DeviceId
            WHERE m.id = @MemberId
            """, new { caller.MemberId, caller.DeviceId }, ct);
    }

    /// <summary>Whether any of <paramref name="groupIds"/> is the Owners or Administrators group (joining it is <c>add_admin</c>).</summary>
    public async Task<bool> AnyAdministrativeGroupAsync(IReadOnlyCollection<string> groupIds, CancellationToken ct)
    {
        if (groupIds.Count == 0)
        {
            return false;
        }
        await using DbConnection c = await database.OpenAsync(ct);
        foreach (string groupId in groupIds)
        {
            if (await c.ScalarAsync<long>(null, "SELECT count(*) FROM groups WHERE id = @groupId AND kind IN (@owners, @administrators)",
                new { groupId, owners = GroupKinds.Owners, administrators = GroupKinds.Administrators }, ct) > 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The session proved its member again (SRP): its freshness time moves to now, with the event, in one transaction.</summary>
    public Task MarkSteppedUpAsync(CofferCaller caller, long now, AuditEntry presented, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecAsync(tx, "UPDATE sessions SET mfa_at = @now WHERE id = @SessionId", new { now, caller.SessionId }, ct);
            await audit.AppendAsync(c, tx, [presented], ct);
        }, ct);

    private sealed class SessionTimes
    {
        public long CreatedAt { get; set; }
        public long? MfaAt { get; set; }
    }
}
