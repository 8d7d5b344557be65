using System.Data.Common;
using Coffer.Contracts.Accounts;
using Coffer.Contracts.Members;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Account;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.Vaults;

namespace Coffer.Server.Features.Members;

internal enum LifecycleOutcome
{
    Done,
    NotFound,
    Forbidden,
    LastOwner,
    OwnMembership,
    WrongState,
}

/// <summary>A lifecycle change as done (or refused): the answer, and the sessions this node must forget once it committed.</summary>
internal sealed record LifecycleResult(LifecycleOutcome Outcome, MemberDto? Member = null, MemberLifecycleResponse? Report = null,
    IReadOnlyList<string>? EndedSessions = null)
{
    public IReadOnlyList<string> EndedSessionIds => EndedSessions ?? [];
}

/// <summary>
/// Suspending, reactivating and removing members (POLICY.md "Authorisation", "Leaving"; docs/adr/0009). Each change is one
/// transaction: the checks, the change, ending sessions and the audit event commit together or not at all. The rules, in the
/// order they are checked: a member the caller cannot see is 404; only an Owner acts on an Owner or an Administrator (403);
/// the last active Owner is never suspended or removed (409 last-owner); nobody acts on themselves (409 own-membership);
/// suspension needs an active member, reactivation a suspended one (409 member-state).
/// </summary>
internal sealed class MemberLifecycleStore(IDatabase database, AuditStore audit, VaultStore vaults, AccountFeed feed)
{
    public Task<LifecycleResult> SuspendAsync(CofferCaller caller, string memberId, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            (Target? target, LifecycleOutcome refusal) = await CheckAsync(c, tx, caller, memberId, guardsLastOwner: true, ct);
            if (target is null)
            {
                return new LifecycleResult(refusal);
            }
            if (target.State != "active")
            {
                return new LifecycleResult(LifecycleOutcome.WrongState);
            }
            (List<ReadableVaultDto> readable, List<string> groups) = await ReadableAsync(c, tx, memberId, ct);
            await c.ExecAsync(tx, "UPDATE members SET state = 'suspended', updated_at = @now WHERE id = @memberId", new { now, memberId }, ct);
            (List<string> ended, int live) = await EndSessionsAsync(c, tx, memberId, now, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MemberSuspend, AuditTargets.Member, memberId,
                details: AuditEntry.DetailsOf(("sessionsEnded", live), ("vaults", readable.Count), ("items", readable.Sum(v => v.ItemIds.Count)),
                    ("groups", groups.Count)))], ct);
            MemberDto member = (await MemberDirectoryStore.ReadAsync(c, tx, memberId, ct))!;
            return new LifecycleResult(LifecycleOutcome.Done, member, new MemberLifecycleResponse(member, live, readable, groups), ended);
        }, ct);

    public Task<LifecycleResult> ReactivateAsync(CofferCaller caller, string memberId, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            (Target? target, LifecycleOutcome refusal) = await CheckAsync(c, tx, caller, memberId, guardsLastOwner: false, ct);
            if (target is null)
            {
                return new LifecycleResult(refusal);
            }
            if (target.State != "suspended")
            {
                return new LifecycleResult(LifecycleOutcome.WrongState);
            }
            await c.ExecAsync(tx, "UPDATE members SET state = 'active', updated_at = @now WHERE id = @memberId", new { now, memberId }, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MemberReactivate, AuditTargets.Member, memberId)], ct);
            return new LifecycleResult(LifecycleOutcome.Done, await MemberDirectoryStore.ReadAsync(c, tx, memberId, ct));
        }, ct);

    /// <summary>
    /// Removes a member in any state (an invited one: the invitation dies). The row stays (docs/adr/0009): sessions end, devices
    /// are deauthorised, group memberships and direct grants go — except the grant of their own personal vault, which stays
    /// with the vault — and the email is freed for a new invitation.
    /// </summary>
    public Task<LifecycleResult> RemoveAsync(CofferCaller caller, string memberId, long now, CancellationToken ct) =>
        feed.InTransactionAsync(async (c, tx, changed) =>
        {
            (Target? target, LifecycleOutcome refusal) = await CheckAsync(c, tx, caller, memberId, guardsLastOwner: true, ct);
            if (target is null)
            {
                return new LifecycleResult(refusal);
            }
            (List<ReadableVaultDto> readable, List<string> groups) = await ReadableAsync(c, tx, memberId, ct);
            (List<string> ended, int live) = await EndSessionsAsync(c, tx, memberId, now, ct);
            await c.ExecAsync(tx, "UPDATE devices SET revoked_at = @now WHERE member_id = @memberId AND revoked_at IS NULL", new { now, memberId }, ct);
            await c.ExecAsync(tx, "DELETE FROM auth_attempts WHERE member_id = @memberId", new { memberId }, ct);
            foreach ((string groupId, long keySerial) in await c.ListAsync<(string, long)>(tx, """
                SELECT gm.group_id, (SELECT max(serial) FROM keysets k WHERE k.group_id = gm.group_id) FROM group_memberships gm
                WHERE gm.member_id = @memberId ORDER BY gm.group_id
                """, new { memberId }, ct))
            {
                await AccountFeed.LeftAsync(c, tx, changed, groupId, memberId, keySerial, ct);
            }
            await c.ExecAsync(tx, "DELETE FROM group_memberships WHERE member_id = @memberId", new { memberId }, ct);
            List<string> granted = await c.ListAsync<string>(tx, """
                SELECT g.vault_id FROM vault_grants g JOIN vaults v ON v.id = g.vault_id
                WHERE g.principal_kind = 'member' AND g.principal_id = @memberId AND NOT (v.kind = 'personal' AND v.created_by = @memberId)
                ORDER BY g.vault_id
                """, new { memberId }, ct);
            foreach (string vaultId in granted)
            {
                await c.ExecAsync(tx, "DELETE FROM vault_grants WHERE vault_id = @vaultId AND principal_kind = 'member' AND principal_id = @memberId",
                    new { vaultId, memberId }, ct);
                changed.To(memberId, AccountChangeKinds.VaultGrantRemoved, vaultId, await vaults.BumpAsync(c, tx, vaultId, changed, ct));
            }
            await c.ExecAsync(tx, "UPDATE invitations SET expires_at = @now WHERE member_id = @memberId AND accepted_at IS NULL AND expires_at > @now",
                new { now, memberId }, ct);
            // An invited member has no verifier, which the schema ties to state 'invited'; every other state becomes one
            // that neither signs in nor passes the session check. removed_at is what marks the removal.
            await c.ExecAsync(tx, """
                UPDATE members SET removed_at = @now, email_normalized = @freed, updated_at = @now,
                                   state = CASE WHEN state = 'invited' THEN 'invited' ELSE 'suspended' END
                WHERE id = @memberId
                """, new { now, memberId, freed = "removed/" + memberId }, ct);
            await audit.AppendAsync(c, tx, [AuditEntry.By(caller, now, AuditActions.MemberRemove, AuditTargets.Member, memberId,
                details: AuditEntry.DetailsOf(("previousState", target.State), ("sessionsEnded", live), ("grantsRemoved", granted.Count),
                    ("vaults", readable.Count), ("items", readable.Sum(v => v.ItemIds.Count)), ("groups", groups.Count)))], ct);
            MemberDto member = (await MemberDirectoryStore.ReadAsync(c, tx, memberId, ct))!;
            return new LifecycleResult(LifecycleOutcome.Done, member, new MemberLifecycleResponse(member, live, readable, groups), ended);
        }, ct);

    /// <summary>The refusals every change shares; a target is returned only when none applies.</summary>
    private async Task<(Target? Target, LifecycleOutcome Refusal)> CheckAsync(DbConnection c, DbTransaction tx, CofferCaller caller, string memberId,
        bool guardsLastOwner, CancellationToken ct)
    {
        // Changes to members are serialised on the Owners group row (SQLite's writer lock already orders them), so two Owners
        // suspending each other at once cannot both pass the last-Owner check.
        if (database.Engine == DatabaseEngine.Postgres)
        {
            await c.ExecAsync(tx, "SELECT id FROM groups WHERE kind = 'owners' FOR UPDATE", null, ct);
        }
        Target? target = await c.OneAsync<Target>(tx, $"""
            SELECT m.id AS Id, m.state AS State,
                   (SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
                    WHERE gm.member_id = m.id AND g.kind = '{GroupKinds.Owners}') AS Owner,
                   (SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
                    WHERE gm.member_id = m.id AND g.kind = '{GroupKinds.Administrators}') AS Administrator
            FROM members m WHERE m.id = @memberId AND m.removed_at IS NULL
            """, new { memberId }, ct);
        if (target is null)
        {
            return (null, LifecycleOutcome.NotFound);
        }
        bool callerIsOwner = await c.ScalarAsync<long>(tx, $"""
            SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
            WHERE gm.member_id = @MemberId AND g.kind = '{GroupKinds.Owners}'
            """, new { caller.MemberId }, ct) > 0;
        if ((target.Owner > 0 || target.Administrator > 0) && !callerIsOwner)
        {
            return (null, LifecycleOutcome.Forbidden);
        }
        if (guardsLastOwner && target.Owner > 0 && target.State == "active" && await c.ScalarAsync<long>(tx, $"""
                SELECT count(*) FROM group_memberships gm JOIN groups g ON g.id = gm.group_id JOIN members m ON m.id = gm.member_id
                WHERE g.kind = '{GroupKinds.Owners}' AND m.state = 'active' AND m.removed_at IS NULL
                """, null, ct) <= 1)
        {
            return (null, LifecycleOutcome.LastOwner);
        }
        if (string.Equals(target.Id, caller.MemberId, StringComparison.Ordinal))
        {
            return (null, LifecycleOutcome.OwnMembership);
        }
        return (target, LifecycleOutcome.Done);
    }

    /// <summary>Ends every session of the member; returns their ids and how many were still live.</summary>
    private static async Task<(List<string> Ids, int Live)> EndSessionsAsync(DbConnection c, DbTransaction tx, string memberId, long now,
        CancellationToken ct)
    {
        List<(string Id, long ExpiresAt)> open = await c.ListAsync<(string Id, long ExpiresAt)>(tx,
            "SELECT id, expires_at FROM sessions WHERE member_id = @memberId AND ended_at IS NULL", new { memberId }, ct);
        await c.ExecAsync(tx, "UPDATE sessions SET ended_at = @now WHERE member_id = @memberId AND ended_at IS NULL", new { now, memberId }, ct);
        return ([.. open.Select(s => s.Id)], open.Count(s => s.ExpiresAt > now));
    }

    /// <summary>
    /// What the member could read (POLICY.md "Leaving"): the keys of their groups and of every group those manage (a managing
    /// group holds a wrap of the managed group's key, docs/adr/0006), and every shared vault granted to them or to one of
    /// those groups, with its items.
    /// </summary>
    internal static async Task<(List<ReadableVaultDto> Vaults, List<string> Groups)> ReadableAsync(DbConnection c, DbTransaction tx, string memberId,
        CancellationToken ct)
    {
        List<string> own = await c.ListAsync<string>(tx, "SELECT group_id FROM group_memberships WHERE member_id = @memberId", new { memberId }, ct);
        List<(string GroupId, string ManagerId)> managed = await c.ListAsync<(string GroupId, string ManagerId)>(tx,
            "SELECT group_id, manager_group_id FROM group_manager_wraps", null, ct);
        HashSet<string> held = new(own, StringComparer.Ordinal);
        Queue<string> next = new(own);
        while (next.TryDequeue(out string? manager))
        {
            foreach ((string groupId, _) in managed.Where(m => string.Equals(m.ManagerId, manager, StringComparison.Ordinal)))
            {
                if (held.Add(groupId))
                {
                    next.Enqueue(groupId);
                }
            }
        }
        List<string> groups = [.. held.Order(StringComparer.Ordinal)];

        Dictionary<string, (long KeySerial, bool Direct, SortedSet<string> Through)> readable = new(StringComparer.Ordinal);
        void Add(string vaultId, long keySerial, string? group)
        {
            if (!readable.TryGetValue(vaultId, out (long KeySerial, bool Direct, SortedSet<string> Through) entry))
            {
                entry = (keySerial, false, new SortedSet<string>(StringComparer.Ordinal));
            }
            if (group is null)
            {
                entry.Direct = true;
            }
            else
            {
                entry.Through.Add(group);
            }
            readable[vaultId] = entry;
        }
        const string SharedGrants = """
            SELECT v.id, v.key_serial FROM vault_grants g JOIN vaults v ON v.id = g.vault_id
            WHERE v.kind = 'shared' AND g.principal_kind = @kind AND g.principal_id = @id
            """;
        foreach ((string vaultId, long serial) in await c.ListAsync<(string, long)>(tx, SharedGrants, new { kind = "member", id = memberId }, ct))
        {
            Add(vaultId, serial, null);
        }
        foreach (string group in groups)
        {
            foreach ((string vaultId, long serial) in await c.ListAsync<(string, long)>(tx, SharedGrants, new { kind = "group", id = group }, ct))
            {
                Add(vaultId, serial, group);
            }
        }
        List<ReadableVaultDto> vaults = [];
        foreach ((string vaultId, (long serial, bool direct, SortedSet<string> through)) in readable.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            List<string> items = await c.ListAsync<string>(tx, "SELECT id FROM items WHERE vault_id = @vaultId ORDER BY id", new { vaultId }, ct);
            vaults.Add(new ReadableVaultDto(vaultId, serial, direct, [.. through], items));
        }
        return (vaults, groups);
    }

    private sealed class Target
    {
        public string Id { get; set; } = "";
        public string State { get; set; } = "";
        public long Owner { get; set; }
        public long Administrator { get; set; }
    }
}
