using System.Data.Common;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Time;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Policies;

namespace Coffer.Server.Features.Sessions;

internal sealed class SessionRow
{
    public string SessionId { get; set; } = "";
    public string MemberId { get; set; } = "";
    public string DeviceId { get; set; } = "";
    public string DeviceName { get; set; } = "";
    public string Platform { get; set; } = "";
    public long CreatedAt { get; set; }
    public long LastUsedAt { get; set; }
    public long ExpiresAt { get; set; }
}

/// <summary>Sessions in the database, shared by every node.</summary>
internal sealed class SessionStore(IDatabase database, AuditStore audit, PolicyStore policies, TimeProvider clock) : ISessionStore
{
    // Writing last_used_at on every request would turn every read into a write; within this much the
    // idle timer is accurate enough.
    private const long TouchGranularityMs = 15_000;


    // Read on every request, so suspending or removing a member (docs/adr/0009) stops their sessions on every node at once.
    private static readonly HotQuery<Row> FindSession = new("""
        SELECT s.id, s.member_id, s.device_id, s.key_material, s.created_at, s.last_used_at, s.expires_at, s.mfa_level,
               s.ended_at, s.wipe_due_at, s.wipe_sent_at, d.revoked_at, m.state, m.removed_at
        FROM sessions s JOIN devices d ON d.id = s.device_id JOIN members m ON m.id = s.member_id
        WHERE s.id = @sessionId
        """, ["sessionId"], r => new Row
    {
        SessionId = r.GetString(0),
        MemberId = r.GetString(1),
        DeviceId = r.GetString(2),
        KeyMaterial = r.Bytes(3),
        CreatedAt = r.GetInt64(4),
        LastUsedAt = r.GetInt64(5),
        ExpiresAt = r.GetInt64(6),
        MfaLevel = r.GetString(7),
        EndedAt = r.NullableInt64(8),
        WipeDueAt = r.NullableInt64(9),
        WipeSentAt = r.NullableInt64(10),
        DeviceRevokedAt = r.NullableInt64(11),
        MemberState = r.GetString(12),
        MemberRemovedAt = r.NullableInt64(13),
    });

    // On SQLite (one node) the session found is kept, for at most CacheMilliseconds, until this process commits any change
    // other than an activity-log append or a last-use time (docs/adr/0023): ending a session, suspending or removing a member,
    // deauthorising a device all advance the generation, so the next request reads the row again. Other processes on the file
    // (coffer-server commands) are seen within CacheMilliseconds. PostgreSQL serves several nodes: every request reads the row.
    private const long CacheMilliseconds = 1000;
    private const int MaxCached = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CachedSession> _cache = new(StringComparer.Ordinal);

    private sealed record CachedSession(SessionRecord Record, long Generation, long ReadAt);

    public async Task<SessionRecord?> FindAsync(string sessionId, CancellationToken ct)
    {
        if (database is not SqliteDatabase sqlite)
        {
            return await ReadAsync(sessionId, ct);
        }
        long generation = sqlite.WriteGeneration;
        // The server's clock, like every other session time; a copy read "in the future" (the clock went back) is read again.
        long now = clock.NowMs();
        if (_cache.TryGetValue(sessionId, out CachedSession? cached) && cached.Generation == generation && now - cached.ReadAt is >= 0 and < CacheMilliseconds)
        {
            return cached.Record;
        }
        SessionRecord? record = await ReadAsync(sessionId, ct);
        if (record is null)
        {
            _cache.TryRemove(sessionId, out _);
            return null;
        }
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        _cache[sessionId] = new CachedSession(record, generation, now);
        return record;
    }

    private async Task<SessionRecord?> ReadAsync(string sessionId, CancellationToken ct)
    {
        if (await database.QueryOneAsync(FindSession, [sessionId], ct) is not { } r)
        {
            return null;
        }
        bool revoked = r.EndedAt is not null || r.DeviceRevokedAt is not null || r.MemberRemovedAt is not null
            || r.MemberState is not ("active" or "pending_confirmation");
        return new SessionRecord(r.SessionId, r.MemberId, r.DeviceId, r.KeyMaterial, r.CreatedAt, r.LastUsedAt, r.ExpiresAt,
            (await policies.CurrentAsync(ct)).SessionIdleMs, r.MfaLevel != "pending", revoked, r.MemberState == "active",
            r.WipeDueAt is not null && r.WipeSentAt is null, r.DeviceRevokedAt, r.MfaLevel);
    }

    public Task<bool> MarkWipeSentAsync(SessionRecord session, AuditEntry delivered, long now, CancellationToken ct) =>
        database.InTransactionAsync(async (c, tx) =>
        {
            int marked = await c.ExecAsync(tx, "UPDATE sessions SET wipe_sent_at = @now WHERE id = @id AND wipe_due_at IS NOT NULL AND wipe_sent_at IS NULL",
                new { id = session.SessionId, now }, ct);
            if (marked == 1)
            {
                await audit.AppendAsync(c, tx, [delivered], ct);
            }
            return marked == 1;
        }, ct);

    public async Task TouchAsync(SessionRecord session, long now, CancellationToken ct)
    {
        if (now - session.LastUsedAt < TouchGranularityMs)
        {
            return;
        }
        // Quiet: only the idle timer moves, and the cached session is moved with it.
        await database.InQuietTransactionAsync((c, tx) =>
            c.ExecAsync(tx, "UPDATE sessions SET last_used_at = @now WHERE id = @id AND last_used_at < @now", new { id = session.SessionId, now }, ct), ct);
        if (_cache.TryGetValue(session.SessionId, out CachedSession? cached) && cached.Record.LastUsedAt < now)
        {
            _cache.TryUpdate(session.SessionId, cached with { Record = cached.Record with { LastUsedAt = now } }, cached);
        }
    }

    public async Task<List<SessionRow>> ListLiveAsync(string memberId, long now, CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.ListAsync<SessionRow>(null, """
            SELECT s.id AS SessionId, s.member_id AS MemberId, s.device_id AS DeviceId, d.name AS DeviceName, d.platform AS Platform,
                   s.created_at AS CreatedAt, s.last_used_at AS LastUsedAt, s.expires_at AS ExpiresAt
            FROM sessions s JOIN devices d ON d.id = s.device_id
            WHERE s.member_id = @memberId AND s.ended_at IS NULL AND s.expires_at > @now AND s.last_used_at > @idleSince AND d.revoked_at IS NULL
            ORDER BY s.created_at
            """, new { memberId, now, idleSince = now - (await policies.CurrentAsync(ct)).SessionIdleMs }, ct);
    }

    /// <summary>Ends one of the member's own sessions; false when there is no such session of theirs (the same 404).</summary>
    public async Task<bool> EndAsync(string memberId, string sessionId, long now, CancellationToken ct) =>
        await database.InTransactionAsync((c, tx) =>
            c.ExecAsync(tx, "UPDATE sessions SET ended_at = @now WHERE id = @sessionId AND member_id = @memberId AND ended_at IS NULL",
                new { memberId, sessionId, now }, ct), ct) == 1;

    private sealed class Row
    {
        public string SessionId { get; set; } = "";
        public string MemberId { get; set; } = "";
        public string DeviceId { get; set; } = "";
        public byte[] KeyMaterial { get; set; } = [];
        public long CreatedAt { get; set; }
        public long LastUsedAt { get; set; }
        public long ExpiresAt { get; set; }
        public string MfaLevel { get; set; } = "";
        public long? EndedAt { get; set; }
        public long? WipeDueAt { get; set; }
        public long? WipeSentAt { get; set; }
        public long? DeviceRevokedAt { get; set; }
        public string MemberState { get; set; } = "";
        public long? MemberRemovedAt { get; set; }
    }
}
