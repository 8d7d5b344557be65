using System.Data.Common;
using Coffer.Contracts.Accounts;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Sync;

namespace Coffer.Server.Features.Account;

/// <summary>One change for the feed, as a store names it; its seq is given when the transaction appends it.</summary>
internal readonly record struct FeedEntry(string? Audience, string Kind, string SubjectId, long Version);

/// <summary>
/// What one write transaction changed that others must hear about once it commits: account-feed entries (appended in the
/// transaction by <see cref="AccountFeed.InTransactionAsync{T}"/>) and, on SQLite, vault versions to announce.
/// </summary>
internal sealed class ChangeSet
{
    private readonly List<FeedEntry> _entries = [];
    private readonly Dictionary<(string?, string, string), int> _index = [];

    /// <summary>Vault versions to publish after commit (SQLite; PostgreSQL notifies inside the transaction).</summary>
    public List<VaultChange> Vaults { get; } = [];

    public IReadOnlyList<FeedEntry> Entries => _entries;

    /// <summary>A change for one member. Repeats within the transaction keep one entry, at the highest version.</summary>
    public void To(string memberId, string kind, string subjectId, long version) => Add(new FeedEntry(memberId, kind, subjectId, version));

    public void To(IEnumerable<string> memberIds, string kind, string subjectId, long version)
    {
        foreach (string memberId in memberIds)
        {
            To(memberId, kind, subjectId, version);
        }
    }

    /// <summary>A change every member may see (certificates and revocation lists are public to the organisation).</summary>
    public void ToEveryone(string kind, string subjectId, long version) => Add(new FeedEntry(null, kind, subjectId, version));

    private void Add(FeedEntry e)
    {
        (string?, string, string) key = (e.Audience, e.Kind, e.SubjectId);
        if (_index.TryGetValue(key, out int at))
        {
            if (_entries[at].Version < e.Version)
            {
                _entries[at] = e;
            }
            return;
        }
        _index[key] = _entries.Count;
        _entries.Add(e);
    }
}

/// <summary>
/// The account feed (PROTOCOL.md §9, docs/adr/0014): an append-only list of changes relevant to members — vault grants,
/// group memberships and keys, certificates, revocation lists — each written in the transaction of the change, so it is
/// there exactly when the change is. Seqs come from the one <c>account_feed_head</c> row, raised last in the transaction
/// (on PostgreSQL under its row lock, held to commit): seq order is commit order, and a reader that read the head has
/// every change up to it. Each append is announced to event streams as <c>account</c> once committed.
/// </summary>
internal sealed class AccountFeed(IDatabase database, VaultChanges changes, TimeProvider clock)
{
    public const int DefaultPageSize = 100;

    public const int MaxPageSize = 1000;

    /// <summary>
    /// Runs a write in one transaction with a <see cref="ChangeSet"/>; after the work (its activity-log events included)
    /// appends the feed entries it named, and once committed publishes what SQLite's single node must announce itself.
    /// The feed head is locked last so that nothing else is waited for while holding it.
    /// </summary>
    public async Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, ChangeSet, Task<T>> work, CancellationToken ct)
    {
        ChangeSet set = new();
        List<AccountChange> announced = [];
        T result = await database.InTransactionAsync(async (c, tx) =>
        {
            T r = await work(c, tx, set);
            announced.AddRange(await AppendAsync(c, tx, set.Entries, ct));
            return r;
        }, ct);
        foreach (VaultChange change in set.Vaults)
        {
            changes.Publish(change);
        }
        foreach (AccountChange change in announced)
        {
            changes.Publish(change);
        }
        return result;
    }

    // Returns what SQLite must publish after commit; PostgreSQL notifies here, delivered only if the transaction commits.
    private async Task<List<AccountChange>> AppendAsync(DbConnection c, DbTransaction tx, IReadOnlyList<FeedEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0)
        {
            return [];
        }
        long last = (await c.ScalarAsync<long?>(tx, "UPDATE account_feed_head SET seq = seq + @n WHERE singleton = 1 RETURNING seq",
            new { n = (long)entries.Count }, ct))!.Value;
        long seq = last - entries.Count;
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Dictionary<string, long> byAudience = new(StringComparer.Ordinal);
        foreach (FeedEntry e in entries)
        {
            seq++;
            await c.ExecAsync(tx, """
                INSERT INTO account_changes (seq, audience, kind, subject_id, version, created_at)
                VALUES (@seq, @Audience, @Kind, @SubjectId, @Version, @now)
                """, new { seq, e.Audience, e.Kind, e.SubjectId, e.Version, now }, ct);
            byAudience[e.Audience ?? Everyone] = seq;
        }
        List<AccountChange> announced = [.. byAudience.Select(a => new AccountChange(a.Key == Everyone ? null : a.Key, a.Value))];
        if (database.Engine != DatabaseEngine.Postgres)
        {
            return announced;
        }
        foreach (AccountChange a in announced)
        {
            await c.ExecAsync(tx, "SELECT pg_notify(@channel, @payload)",
                new { channel = PostgresChangeListener.Channel, payload = PostgresChangeListener.AccountPayload(a) }, ct);
        }
        return [];
    }

    private const string Everyone = "*";

    /// <summary>The current feed position: every change up to it has committed.</summary>
    public async Task<long> HeadAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ScalarAsync<long>(null, "SELECT seq FROM account_feed_head WHERE singleton = 1", null, ct);
    }

    /// <summary>
    /// The changes for <paramref name="memberId"/> (and for everyone) after <paramref name="since"/>, at most
    /// <paramref name="limit"/>; null when the cursor is past the head (it never came from this feed).
    /// </summary>
    public async Task<AccountFeedResponse?> ReadAsync(string memberId, long since, int limit, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        // The head first: everything up to it has committed, and nothing is read past it.
        long head = await c.ScalarAsync<long>(null, "SELECT seq FROM account_feed_head WHERE singleton = 1", null, ct);
        if (since > head)
        {
            return null;
        }
        List<Row> rows = await c.ListAsync<Row>(null, """
            SELECT seq AS Seq, kind AS Kind, subject_id AS SubjectId, version AS Version, created_at AS CreatedAt FROM account_changes
            WHERE seq > @since AND seq <= @head AND (audience = @memberId OR audience IS NULL)
            ORDER BY seq LIMIT @take
            """, new { since, head, memberId, take = limit + 1 }, ct);
        bool hasMore = rows.Count > limit;
        List<AccountChangeDto> page = [.. rows.Take(limit).Select(r => new AccountChangeDto(r.Seq, r.Kind, r.SubjectId, r.Version, r.CreatedAt))];
        return new AccountFeedResponse(page, hasMore ? page[^1].Seq : head, hasMore);
    }

    /// <summary>The members a vault reaches: its member grantees and the members of its group grantees.</summary>
    public static Task<List<string>> VaultAudienceAsync(DbConnection c, DbTransaction tx, string vaultId, CancellationToken ct) =>
        c.ListAsync<string>(tx, """
            SELECT principal_id FROM vault_grants WHERE vault_id = @vaultId AND principal_kind = 'member'
            UNION
            SELECT gm.member_id FROM vault_grants g JOIN group_memberships gm ON gm.group_id = g.principal_id
            WHERE g.vault_id = @vaultId AND g.principal_kind = 'group'
            """, new { vaultId }, ct);

    /// <summary>The members a grant to this principal reaches: the member, or the group's members.</summary>
    public static async Task<List<string>> PrincipalAudienceAsync(DbConnection c, DbTransaction tx, string principalKind, string principalId,
        CancellationToken ct) =>
        principalKind == CertKinds.Member ? [principalId] : await GroupMembersAsync(c, tx, principalId, ct);

    public static Task<List<string>> GroupMembersAsync(DbConnection c, DbTransaction tx, string groupId, CancellationToken ct) =>
        c.ListAsync<string>(tx, "SELECT member_id FROM group_memberships WHERE group_id = @groupId ORDER BY member_id", new { groupId }, ct);

    /// <summary>Everyone who holds a group's key: its members and the members of every group that manages it, transitively.</summary>
    public static async Task<List<string>> GroupHoldersAsync(DbConnection c, DbTransaction tx, string groupId, CancellationToken ct)
    {
        List<(string GroupId, string ManagerId)> managed = await c.ListAsync<(string, string)>(tx,
            "SELECT group_id, manager_group_id FROM group_manager_wraps", null, ct);
        HashSet<string> groups = new(StringComparer.Ordinal) { groupId };
        Queue<string> next = new([groupId]);
        while (next.TryDequeue(out string? g))
        {
            foreach ((_, string manager) in managed.Where(m => string.Equals(m.GroupId, g, StringComparison.Ordinal)))
            {
                if (groups.Add(manager))
                {
                    next.Enqueue(manager);
                }
            }
        }
        SortedSet<string> members = new(StringComparer.Ordinal);
        foreach (string g in groups)
        {
            members.UnionWith(await GroupMembersAsync(c, tx, g, ct));
        }
        return [.. members];
    }

    /// <summary>The vaults granted to a group, with their content versions.</summary>
    public static Task<List<(string VaultId, long ContentVersion)>> GroupVaultsAsync(DbConnection c, DbTransaction tx, string groupId, CancellationToken ct) =>
        c.ListAsync<(string, long)>(tx, """
            SELECT v.id, v.content_version FROM vault_grants g JOIN vaults v ON v.id = g.vault_id
            WHERE g.principal_kind = 'group' AND g.principal_id = @groupId ORDER BY v.id
            """, new { groupId }, ct);

    /// <summary>
    /// A member joined a group: they hold its key, reach its vaults, and its other members see it changed (not for the base
    /// groups, whose membership follows member certificates, which everyone sees).
    /// </summary>
    public static async Task JoinedAsync(DbConnection c, DbTransaction tx, ChangeSet set, string groupId, string memberId, long keySerial,
        CancellationToken ct)
    {
        set.To(memberId, AccountChangeKinds.GroupJoined, groupId, keySerial);
        foreach ((string vaultId, long version) in await GroupVaultsAsync(c, tx, groupId, ct))
        {
            set.To(memberId, AccountChangeKinds.VaultGrant, vaultId, version);
        }
        await OthersChangedAsync(c, tx, set, groupId, memberId, keySerial, ct);
    }

    /// <summary>A member left a group (call before the membership row goes, or pass the group's remaining members' view).</summary>
    public static async Task LeftAsync(DbConnection c, DbTransaction tx, ChangeSet set, string groupId, string memberId, long keySerial,
        CancellationToken ct)
    {
        set.To(memberId, AccountChangeKinds.GroupLeft, groupId, keySerial);
        foreach ((string vaultId, long version) in await GroupVaultsAsync(c, tx, groupId, ct))
        {
            set.To(memberId, AccountChangeKinds.VaultGrantRemoved, vaultId, version);
        }
        await OthersChangedAsync(c, tx, set, groupId, memberId, keySerial, ct);
    }

    private static async Task OthersChangedAsync(DbConnection c, DbTransaction tx, ChangeSet set, string groupId, string memberId, long keySerial,
        CancellationToken ct)
    {
        string? kind = await c.ScalarAsync<string>(tx, "SELECT kind FROM groups WHERE id = @groupId", new { groupId }, ct);
        if (kind is GroupKinds.TeamMembers or GroupKinds.Guests)
        {
            return;
        }
        set.To((await GroupMembersAsync(c, tx, groupId, ct)).Where(m => !string.Equals(m, memberId, StringComparison.Ordinal)),
            AccountChangeKinds.GroupChanged, groupId, keySerial);
    }

    private sealed class Row
    {
        public long Seq { get; set; }
        public string Kind { get; set; } = "";
        public string SubjectId { get; set; } = "";
        public long Version { get; set; }
        public long CreatedAt { get; set; }
    }
}
