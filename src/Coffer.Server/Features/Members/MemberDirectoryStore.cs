using System.Data.Common;
using Coffer.Contracts.Members;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Auth;

namespace Coffer.Server.Features.Members;

/// <summary>
/// The member directory (ARCHITECTURE.md "Member", "Group"): who is in the organisation, in which state and groups.
/// Removed members (docs/adr/0009) are never listed. <c>everyone</c> is for callers with <c>manage_members</c>; other
/// callers see active members only, and a member they may not see is the same null as one that does not exist.
/// </summary>
internal sealed class MemberDirectoryStore(IDatabase database)
{
    public const string RemovedState = "removed";

    private const string MemberColumns = """
        SELECT m.id AS Id, m.name AS Name, m.email AS Email, m.state AS State, m.created_at AS CreatedAt, m.removed_at AS RemovedAt,
               COALESCE(
                   (SELECT g.kind FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
                    WHERE gm.member_id = m.id AND g.kind IN ('team_members', 'guests') ORDER BY g.kind DESC LIMIT 1),
                   (SELECT ce.base_group FROM certificates ce WHERE ce.kind = 'member' AND ce.subject_id = m.id ORDER BY ce.issued_at DESC LIMIT 1),
                   (SELECT i.base_group FROM invitations i WHERE i.member_id = m.id ORDER BY i.created_at DESC LIMIT 1)) AS BaseGroup
        FROM members m
        """;

    // Built-in groups first, in POLICY.md's order, then custom groups by name.
    private static readonly string[] KindOrder =
    [
        GroupKinds.Owners, GroupKinds.Administrators, GroupKinds.TeamMembers, GroupKinds.Guests, GroupKinds.ProvisionManagers, GroupKinds.Recovery,
    ];

    /// <summary>Up to <paramref name="take"/> members after <paramref name="after"/> (a member id, or "" for the start), in id order.</summary>
    public async Task<List<MemberDto>> ListAsync(bool everyone, string after, int take, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        List<Row> rows = await c.ListAsync<Row>(null, MemberColumns + $"""

            WHERE m.removed_at IS NULL AND {Visible(everyone)} AND m.id > @after
            ORDER BY m.id LIMIT @take
            """, new { after, take }, ct);
        if (rows.Count == 0)
        {
            return [];
        }
        List<GroupRow> groups = await c.ListAsync<GroupRow>(null, """
            SELECT gm.member_id AS MemberId, g.id AS Id, g.kind AS Kind, g.name AS Name
            FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
            WHERE gm.member_id > @after AND gm.member_id <= @last
            """, new { after, last = rows[^1].Id }, ct);
        ILookup<string, GroupRow> byMember = groups.ToLookup(g => g.MemberId, StringComparer.Ordinal);
        return [.. rows.Select(r => r.ToDto(byMember[r.Id]))];
    }

    /// <summary>
    /// Releases the lock on a member's account and clears the failures counted against it (POLICY.md "Brute force"); null for a
    /// member that does not exist or was removed.
    /// </summary>
    public Task<MemberUnlockResponse?> UnlockAsync(string memberId, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            MemberDto? member = await ReadAsync(c, tx, memberId, ct);
            if (member is null || member.State == RemovedState)
            {
                return null;
            }
            (bool wasLocked, int cleared) = await AuthFailures.ReleaseAsync(c, tx, memberId, now, ct);
            return new MemberUnlockResponse(member, wasLocked, cleared);
        }, ct);

    /// <summary>One member the caller may see, or null.</summary>
    public async Task<MemberDto?> FindAsync(bool everyone, string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await ReadAsync(c, null, memberId, ct) is { } m && m.State != RemovedState && (everyone || m.State == "active") ? m : null;
    }

    /// <summary>A member as the directory shows them, removed ones included (state <c>removed</c>); null when there is no such row.</summary>
    public static async Task<MemberDto?> ReadAsync(DbConnection c, DbTransaction? tx, string memberId, CancellationToken ct)
    {
        Row? row = await c.OneAsync<Row>(tx, MemberColumns + "\nWHERE m.id = @memberId", new { memberId }, ct);
        if (row is null)
        {
            return null;
        }
        List<GroupRow> groups = await c.ListAsync<GroupRow>(tx, """
            SELECT gm.member_id AS MemberId, g.id AS Id, g.kind AS Kind, g.name AS Name
            FROM group_memberships gm JOIN groups g ON g.id = gm.group_id
            WHERE gm.member_id = @memberId
            """, new { memberId }, ct);
        return row.ToDto(groups);
    }

    private static string Visible(bool everyone) => everyone ? "1 = 1" : "m.state = 'active'";

    private static int Rank(string kind)
    {
        int i = Array.IndexOf(KindOrder, kind);
        return i < 0 ? KindOrder.Length : i;
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Email { get; set; } = "";
        public string State { get; set; } = "";
        public long CreatedAt { get; set; }
        public long? RemovedAt { get; set; }
        public string? BaseGroup { get; set; }

        public MemberDto ToDto(IEnumerable<GroupRow> groups) => new(Id, Name, Email, RemovedAt is null ? State : RemovedState, BaseGroup ?? "",
            [.. groups.OrderBy(g => Rank(g.Kind)).ThenBy(g => g.Name, StringComparer.Ordinal).ThenBy(g => g.Id, StringComparer.Ordinal)
                .Select(g => new MemberGroupDto(g.Id, g.Kind, g.Name))],
            CreatedAt);
    }

    private sealed class GroupRow
    {
        public string MemberId { get; set; } = "";
        public string Id { get; set; } = "";
        public string Kind { get; set; } = "";
        public string Name { get; set; } = "";
    }
}
