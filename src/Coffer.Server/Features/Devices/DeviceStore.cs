using System.Data.Common;
using Coffer.Contracts.Members;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Features.Devices;

internal sealed class DeviceRow
{
    public string DeviceId { get; set; } = "";
    public string MemberId { get; set; } = "";
    public string Name { get; set; } = "";
    public string Platform { get; set; } = "";
    public string ClientVersion { get; set; } = "";
    public long CreatedAt { get; set; }
    public long LastSeenAt { get; set; }
    public long? RevokedAt { get; set; }
    public long ActiveSessions { get; set; }
}

internal enum DeauthoriseOutcome
{
    Deauthorised,
    AlreadyRevoked,
    NotFound,
}

/// <summary>What a deauthorisation did: whose device it was and how many open sessions it ended.</summary>
internal sealed record Deauthorisation(DeauthoriseOutcome Outcome, string? MemberId = null, int SessionsEnded = 0);

/// <summary>
/// Members' devices (POLICY.md "Devices, travel and remote working"). A device row is made by its first sign-in
/// (<see cref="Auth.AuthStore"/>) and never deleted while its member exists, so the list shows deauthorised devices too.
/// </summary>
internal sealed class DeviceStore(IDatabase database, AuditStore audit, PolicyStore policies)
{

    /// <summary>The member's devices with their usable sessions counted the way the session layer judges them.</summary>
    public async Task<List<DeviceRow>> ListAsync(string memberId, long now, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<DeviceRow>(null, """
            SELECT d.id AS DeviceId, d.member_id AS MemberId, d.name AS Name, d.platform AS Platform, d.client_version AS ClientVersion,
                   d.created_at AS CreatedAt, d.last_seen_at AS LastSeenAt, d.revoked_at AS RevokedAt,
                   (SELECT count(*) FROM sessions s
                    WHERE s.device_id = d.id AND d.revoked_at IS NULL AND s.ended_at IS NULL AND s.expires_at > @now
                      AND s.last_used_at > @idleSince) AS ActiveSessions
            FROM devices d
            WHERE d.member_id = @memberId
            ORDER BY d.created_at, d.id
            """, new { memberId, now, idleSince = now - (await policies.CurrentAsync(ct)).SessionIdleMs }, ct);
    }

    public async Task<bool> MemberExistsAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ScalarAsync<long>(null, "SELECT count(*) FROM members WHERE id = @memberId", new { memberId }, ct) > 0;
    }

    /// <summary>
    /// The member whose device <paramref name="deviceId"/> is, when the caller may see it (their own, or any with
    /// <c>manage_members</c>); null otherwise, exactly as for a device that does not exist. The endpoint asks for step-up
    /// (docs/adr/0024) before deauthorising another member's device.
    /// </summary>
    public async Task<string?> VisibleOwnerAsync(CofferCaller caller, string deviceId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        string? owner = await c.ScalarAsync<string>(null, "SELECT member_id FROM devices WHERE id = @deviceId", new { deviceId }, ct);
        if (owner is null || owner == caller.MemberId)
        {
            return owner;
        }
        return (await PermissionStore.OfAsync(c, null, caller.MemberId, ct)).Contains(OrgPermissions.ManageMembers) ? owner : null;
    }

    /// <summary>
    /// Deauthorises a device the caller may see: one of their own, or any member's when they hold <c>manage_members</c>;
    /// any other id is <see cref="DeauthoriseOutcome.NotFound"/>, exactly like one that does not exist. In one transaction
    /// with its activity-log event: the device is revoked, and every session of it that its client may still hold (not
    /// ended, not past its absolute lifetime) ends and owes that client the sealed wipe answer (ADR 0012). The session
    /// layer reads these rows on every request, on every node, so nothing of the device is served after the commit.
    /// </summary>
    public Task<Deauthorisation> DeauthoriseAsync(CofferCaller caller, string deviceId, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            Target? device = await c.OneAsync<Target>(tx, "SELECT member_id AS MemberId, revoked_at AS RevokedAt FROM devices WHERE id = @deviceId",
                new { deviceId }, ct);
            if (device is null)
            {
                return new Deauthorisation(DeauthoriseOutcome.NotFound);
            }
            bool own = device.MemberId == caller.MemberId;
            if (!own && !(await PermissionStore.OfAsync(c, tx, caller.MemberId, ct)).Contains(OrgPermissions.ManageMembers))
            {
                return new Deauthorisation(DeauthoriseOutcome.NotFound);
            }
            if (device.RevokedAt is not null)
            {
                await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.DeviceDeauthorise, AuditTargets.Device, deviceId,
                    details: AuditEntry.DetailsOf(("memberId", device.MemberId), ("alreadyRevoked", true)))], ct);
                return new Deauthorisation(DeauthoriseOutcome.AlreadyRevoked, device.MemberId);
            }
            await c.ExecAsync(tx, "UPDATE devices SET revoked_at = @now WHERE id = @deviceId AND revoked_at IS NULL", new { deviceId, now }, ct);
            // Idle sessions are included: their keys are kept until the absolute lifetime ends, and a device that
            // wakes up later must still hear the wipe.
            int ended = await c.ExecAsync(tx, """
                UPDATE sessions SET ended_at = @now, wipe_due_at = @now
                WHERE device_id = @deviceId AND ended_at IS NULL AND expires_at > @now
                """, new { deviceId, now }, ct);
            // POLICY.md also deletes the device's trusted status and credential bundle. Neither exists yet: when trusted
            // devices (SSO, ARCHITECTURE.md "New trusted device") land, they are deleted here, in this transaction.
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.DeviceDeauthorise, AuditTargets.Device, deviceId,
                details: AuditEntry.DetailsOf(("memberId", device.MemberId), ("sessionsEnded", ended)))], ct);
            return new Deauthorisation(DeauthoriseOutcome.Deauthorised, device.MemberId, ended);
        }, ct);

    private sealed class Target
    {
        public string MemberId { get; set; } = "";
        public long? RevokedAt { get; set; }
    }
}
