using System.Data;
using System.Data.Common;
using Coffer.Protocol.Audit;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Data;

namespace Coffer.Server.Features.Audit;

internal sealed class AuditEventRow
{
    public long Seq { get; set; }
    public long Time { get; set; }
    public string? ActorMemberId { get; set; }
    public string? DeviceId { get; set; }
    public string? SessionId { get; set; }
    public string? Ip { get; set; }
    public string Action { get; set; } = "";
    public string? TargetKind { get; set; }
    public string? TargetId { get; set; }
    public string Outcome { get; set; } = "";
    public string? Details { get; set; }
    public byte[] Hash { get; set; } = [];

    /// <summary>The stored fields as a chain link; throws <see cref="ArgumentException"/> when a field is malformed.</summary>
    public AuditChainLink ToLink() => new(Seq,
        new AuditEntry(Time, ActorMemberId, DeviceId, SessionId, Ip, Action, TargetKind, TargetId, Outcome, Details).Tbs,
        Sha256Hash.FromBytes(Hash));
}

internal sealed class AuditCheckpointRow
{
    public long Seq { get; set; }
    public byte[] ChainHash { get; set; } = [];
    public long Time { get; set; }
    public byte[] Signature { get; set; } = [];
    public byte[] KeyFingerprint { get; set; } = [];
    public byte[] PublicKey { get; set; } = [];
}

internal sealed class AuditCountersignatureRow
{
    public long Seq { get; set; }
    public string SignerId { get; set; } = "";
    public long Time { get; set; }
    public byte[] Signature { get; set; } = [];
}

internal sealed class AuditRoot
{
    public string OrgId { get; set; } = "";
    public byte[] PublicKey { get; set; } = [];
}

internal sealed class AuditPurgeRow
{
    public long CutSeq { get; set; }
    public byte[] CutHash { get; set; } = [];
}

/// <summary>
/// The activity log in the database. Appends lock the chain head (PROTOCOL.md §11): on PostgreSQL with
/// <c>SELECT … FOR UPDATE</c> on the <c>audit_head</c> row in the caller's transaction, on SQLite by the write lock
/// every unit of work takes at <c>BEGIN IMMEDIATE</c>. So there is one chain however many nodes append. Every appended
/// event is offered to the syslog export, which sends it once it sees it committed.
/// </summary>
internal sealed class AuditStore(IDatabase database, SyslogExport? export = null)
{
    public const string EventColumns = """
        seq AS Seq, time AS Time, actor_member_id AS ActorMemberId, device_id AS DeviceId, session_id AS SessionId, ip AS Ip,
        action AS Action, target_kind AS TargetKind, target_id AS TargetId, outcome AS Outcome, details AS Details, hash AS Hash
        """;

    private const string CheckpointColumns =
        "seq AS Seq, chain_hash AS ChainHash, time AS Time, signature AS Signature, key_fingerprint AS KeyFingerprint, public_key AS PublicKey";

    public IDatabase Database => database;

    /// <summary>
    /// Appends <paramref name="entries"/> in the caller's transaction, in order, and returns the new head. Use this for
    /// an event that must be durable together with the action it records; everything else goes through
    /// <see cref="AuditLog"/>.
    /// </summary>
    public async Task<AuditChainAnchor> AppendAsync(DbConnection c, DbTransaction tx, IReadOnlyList<AuditEntry> entries, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entries);
        AuditChainAnchor head = await LockHeadAsync(c, tx, ct);
        if (entries.Count == 0)
        {
            return head;
        }
        long seq = head.Seq;
        Sha256Hash hash = head.Hash;
        // One command prepared once for the whole batch: parsing and planning the INSERT again for every event (what a fresh
        // command per event costs) was most of the writer's time under load (docs/performance.md "Server load").
        await using DbCommand insert = c.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = """
            INSERT INTO audit_events (seq, time, actor_member_id, device_id, session_id, ip, action, target_kind, target_id, outcome, details, hash)
            VALUES (@seq, @time, @actor, @device, @session, @ip, @action, @targetKind, @targetId, @outcome, @details, @hash)
            """;
        DbParameter[] p = [.. InsertParameters.Select(x => AddParameter(insert, x.Name, x.Type))];
        await insert.PrepareAsync(ct);
        foreach (AuditEntry entry in entries)
        {
            seq++;
            hash = AuditChain.Next(hash, seq, entry.Tbs);
            AuditEventTbs e = entry.Tbs;
            byte[] hashBytes = hash.ToArray();
            object?[] values = [seq, e.Time, e.ActorMemberId, e.DeviceId, e.SessionId, e.Ip, e.Action, e.TargetKind, e.TargetId, e.Outcome, entry.Details, hashBytes];
            for (int i = 0; i < p.Length; i++)
            {
                p[i].Value = values[i] ?? DBNull.Value;
            }
            await insert.ExecuteNonQueryAsync(ct);
            if (export is { Enabled: true })
            {
                export.Offer(new AuditEventRow
                {
                    Seq = seq,
                    Time = e.Time,
                    ActorMemberId = e.ActorMemberId,
                    DeviceId = e.DeviceId,
                    SessionId = e.SessionId,
                    Ip = e.Ip,
                    Action = e.Action,
                    TargetKind = e.TargetKind,
                    TargetId = e.TargetId,
                    Outcome = e.Outcome,
                    Details = entry.Details,
                    Hash = hashBytes,
                });
            }
        }
        await c.ExecAsync(tx, "UPDATE audit_head SET seq = @seq, hash = @hash WHERE singleton = 1", new { seq, hash = hash.ToArray() }, ct);
        return new AuditChainAnchor(seq, hash);
    }

    /// <summary>Appends in a transaction of its own.</summary>
    public Task<AuditChainAnchor> AppendAsync(IReadOnlyList<AuditEntry> entries, CancellationToken ct) =>
        database.InQuietTransactionAsync((c, tx) => AppendAsync(c, tx, entries, ct), ct);

    /// <summary>
    /// Signs a checkpoint at the chain head unless one exists there already (or the organisation is not set up yet,
    /// since the signed record names it). Returns the checkpoint at the head, or null.
    /// </summary>
    public Task<AuditCheckpointRow?> CheckpointAsync(AuditKey key, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            AuditChainAnchor head = await LockHeadAsync(c, tx, ct);
            return head.Seq == 0 ? null : await CheckpointAtAsync(c, tx, key, head, now, ct);
        }, ct);

    /// <summary>The sequence number of the newest checkpoint, or 0.</summary>
    public async Task<long> LatestCheckpointSeqAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ScalarAsync<long?>(null, "SELECT max(seq) FROM audit_checkpoints", null, ct) ?? 0;
    }

    public async Task<AuditCheckpointRow?> LatestCheckpointAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<AuditCheckpointRow>(null,
            $"SELECT {CheckpointColumns} FROM audit_checkpoints WHERE seq = (SELECT max(seq) FROM audit_checkpoints)", null, ct);
    }

    public async Task<AuditCheckpointRow?> CheckpointAsync(long seq, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<AuditCheckpointRow>(null, $"SELECT {CheckpointColumns} FROM audit_checkpoints WHERE seq = @seq", new { seq }, ct);
    }

    public async Task<List<AuditCheckpointRow>> CheckpointsAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<AuditCheckpointRow>(null, $"SELECT {CheckpointColumns} FROM audit_checkpoints ORDER BY seq", null, ct);
    }

    public async Task<List<AuditCountersignatureRow>> CountersignaturesAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<AuditCountersignatureRow>(null,
            "SELECT seq AS Seq, signer_id AS SignerId, time AS Time, signature AS Signature FROM audit_countersignatures ORDER BY seq, signer_id",
            null, ct);
    }

    /// <summary>Stores a countersignature the caller has verified; a second one by the same signer for the same checkpoint replaces the first.</summary>
    public Task AddCountersignatureAsync(long seq, string signerId, long time, byte[] signature, long now, CancellationToken ct) =>
        database.InTransactionAsync((c, tx) => c.ExecAsync(tx, """
            INSERT INTO audit_countersignatures (seq, signer_id, time, signature, created_at) VALUES (@seq, @signerId, @time, @signature, @now)
            ON CONFLICT (seq, signer_id) DO UPDATE SET time = excluded.time, signature = excluded.signature, created_at = excluded.created_at
            """, new { seq, signerId, time, signature, now }, ct), ct);

    /// <summary>The newest purge's cut (where the kept chain starts), or null when nothing was ever purged.</summary>
    public async Task<AuditPurgeRow?> LatestPurgeAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<AuditPurgeRow>(null,
            "SELECT cut_seq AS CutSeq, cut_hash AS CutHash FROM audit_purges WHERE cut_seq = (SELECT max(cut_seq) FROM audit_purges)", null, ct);
    }

    /// <summary>Events with seq greater than <paramref name="after"/>, oldest first.</summary>
    public async Task<List<AuditEventRow>> EventsAsync(long after, int limit, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<AuditEventRow>(null,
            $"SELECT {EventColumns} FROM audit_events WHERE seq > @after ORDER BY seq LIMIT @limit", new { after, limit = (long)limit }, ct);
    }

    public async Task<string?> OrganisationIdAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ScalarAsync<string>(null, "SELECT id FROM organisations", null, ct);
    }

    /// <summary>The organisation id and the root key (DER SPKI) as the database holds them, or null before setup.</summary>
    public async Task<AuditRoot?> RootAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<AuditRoot>(null, "SELECT id AS OrgId, root_public_key AS PublicKey FROM organisations", null, ct);
    }

    /// <summary>Every signing public key (DER SPKI) of a member's keysets, newest serial first.</summary>
    public async Task<List<byte[]>> MemberSigningKeysAsync(string memberId, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<byte[]>(null, "SELECT signing_public_key FROM keysets WHERE member_id = @memberId ORDER BY serial DESC",
            new { memberId }, ct);
    }

    /// <summary>
    /// Retention purge (POLICY.md: "purging keeps the chain verifiable"): deletes the oldest events up to the last
    /// one before the first event at or after <paramref name="cutoff"/>, after signing a checkpoint at the cut, and
    /// records the cut, in one transaction with an <c>audit.purge</c> event. Checkpoints before the cut go too.
    /// Returns the number of events deleted.
    /// </summary>
    public Task<long> PurgeAsync(AuditKey key, long cutoff, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            AuditChainAnchor head = await LockHeadAsync(c, tx, ct);
            long? firstKept = await c.ScalarAsync<long?>(tx, "SELECT min(seq) FROM audit_events WHERE time >= @cutoff", new { cutoff }, ct);
            long? first = await c.ScalarAsync<long?>(tx, "SELECT min(seq) FROM audit_events", null, ct);
            long cut = (firstKept ?? head.Seq + 1) - 1;
            if (first is null || cut < first)
            {
                return 0L;
            }
            byte[] cutHash = await c.OneAsync<byte[]>(tx, "SELECT hash FROM audit_events WHERE seq = @cut", new { cut }, ct)
                ?? throw new InvalidOperationException("The event at the cut is missing; run coffer-server audit verify.");
            if (await CheckpointAtAsync(c, tx, key, new AuditChainAnchor(cut, Sha256Hash.FromBytes(cutHash)), now, ct) is null)
            {
                return 0L;
            }
            await c.ExecAsync(tx, "INSERT INTO audit_purges (cut_seq, cut_hash, cutoff, purged_at) VALUES (@cut, @cutHash, @cutoff, @now)",
                new { cut, cutHash, cutoff, now }, ct);
            long deleted = await c.ExecAsync(tx, "DELETE FROM audit_events WHERE seq <= @cut", new { cut }, ct);
            await c.ExecAsync(tx, "DELETE FROM audit_countersignatures WHERE seq < @cut", new { cut }, ct);
            await c.ExecAsync(tx, "DELETE FROM audit_checkpoints WHERE seq < @cut", new { cut }, ct);
            await AppendAsync(c, tx, [new AuditEntry(now, null, null, null, null, AuditActions.AuditPurge, null, null, AuditOutcomes.Success,
                AuditEntry.DetailsOf(("cutSeq", cut), ("cutoff", cutoff), ("deleted", deleted)))], ct);
            return deleted;
        }, ct);

    private static readonly (string Name, DbType Type)[] InsertParameters =
    [
        ("seq", DbType.Int64), ("time", DbType.Int64), ("actor", DbType.String), ("device", DbType.String), ("session", DbType.String), ("ip", DbType.String),
        ("action", DbType.String), ("targetKind", DbType.String), ("targetId", DbType.String), ("outcome", DbType.String), ("details", DbType.String),
        ("hash", DbType.Binary),
    ];

    private static DbParameter AddParameter(DbCommand command, string name, DbType type)
    {
        DbParameter parameter = command.CreateParameter();
        // With its prefix, as in the SQL: Microsoft.Data.Sqlite otherwise looks each name up under three prefixes on every
        // execution (Npgsql takes either form).
        parameter.ParameterName = "@" + name;
        parameter.DbType = type;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private async Task<AuditChainAnchor> LockHeadAsync(DbConnection c, DbTransaction tx, CancellationToken ct)
    {
        string sql = database.Engine == DatabaseEngine.Postgres
            ? "SELECT seq AS Seq, hash AS Hash FROM audit_head WHERE singleton = 1 FOR UPDATE"
            : "SELECT seq AS Seq, hash AS Hash FROM audit_head WHERE singleton = 1";
        HeadRow row = await c.OneAsync<HeadRow>(tx, sql, null, ct) ?? throw new InvalidOperationException("The audit_head row is missing.");
        return new AuditChainAnchor(row.Seq, Sha256Hash.FromBytes(row.Hash));
    }

    private static async Task<AuditCheckpointRow?> CheckpointAtAsync(DbConnection c, DbTransaction tx, AuditKey key, AuditChainAnchor at, long now,
        CancellationToken ct)
    {
        AuditCheckpointRow? existing = await c.OneAsync<AuditCheckpointRow>(tx,
            $"SELECT {CheckpointColumns} FROM audit_checkpoints WHERE seq = @seq", new { seq = at.Seq }, ct);
        if (existing is not null)
        {
            return existing;
        }
        string? orgId = await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct);
        if (orgId is null)
        {
            return null;
        }
        CheckpointTbs tbs = new(orgId, at.Seq, at.Hash, now);
        AuditCheckpointRow row = new()
        {
            Seq = at.Seq,
            ChainHash = at.Hash.ToArray(),
            Time = now,
            Signature = key.Sign(tbs),
            KeyFingerprint = key.PublicKey.Fingerprint.ToArray(),
            PublicKey = key.PublicKey.ExportSpki(),
        };
        await c.ExecAsync(tx, """
            INSERT INTO audit_checkpoints (seq, chain_hash, time, signature, key_fingerprint, public_key)
            VALUES (@Seq, @ChainHash, @Time, @Signature, @KeyFingerprint, @PublicKey)
            """, row, ct);
        return row;
    }

    private sealed class HeadRow
    {
        public long Seq { get; set; }
        public byte[] Hash { get; set; } = [];
    }
}
