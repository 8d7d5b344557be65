using System.Data.Common;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;

namespace Coffer.Server.Features.Operations;

/// <summary>The newest restore, as clients are told about it (<c>GET /api/v1/meta</c>).</summary>
internal sealed class RestoreState
{
    /// <summary>0 until the first restore.</summary>
    public long Epoch { get; set; }

    public long? RestoredAt { get; set; }

    public long? BackupTakenAt { get; set; }
}

/// <summary>
/// The restore epoch (docs/adr/0013-restore-epoch.md): <c>organisations.restore_epoch</c> and one <c>restores</c> row per
/// restore. Only <c>coffer-server restore</c> raises it, with no server running.
/// </summary>
internal sealed class RestoreStore(IDatabase database)
{
    public async Task<RestoreState> CurrentAsync(CancellationToken ct)
    {
        await using DbConnection c = await database.OpenAsync(ct);
        return await c.OneAsync<RestoreState>(null, """
            SELECT o.restore_epoch AS Epoch, r.restored_at AS RestoredAt, r.backup_taken_at AS BackupTakenAt
            FROM organisations o LEFT JOIN restores r ON r.epoch = o.restore_epoch
            """, null, ct) ?? new RestoreState();
    }

    /// <summary>
    /// Records, in the database just put in place, that it came back from a backup: the epoch rises above both its own
    /// and <paramref name="atLeast"/> (the epoch of the database it replaced, which clients may have seen), every
    /// session ends (their replay windows went back in time with the file), the backup stamp goes, and a
    /// <c>server.restore</c> event is appended. Returns the new epoch.
    /// </summary>
    public static Task<long> MarkRestoredAsync(IDatabase database, long now, long atLeast, long? backupTakenAt, long? replacedHeadSeq,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(database);
        return database.InTransactionAsync(async (c, tx) =>
        {
            string orgId = await c.ScalarAsync<string>(tx, "SELECT id FROM organisations", null, ct)
                ?? throw new InvalidOperationException("The database holds no organisation: it was taken before the server was set up.");
            long epoch = await c.OneAsync<long>(tx, """
                UPDATE organisations SET restore_epoch = (CASE WHEN restore_epoch > @atLeast THEN restore_epoch ELSE @atLeast END) + 1
                RETURNING restore_epoch
                """, new { atLeast }, ct);
            await c.ExecAsync(tx, """
                INSERT INTO restores (epoch, restored_at, backup_taken_at, replaced_head_seq) VALUES (@epoch, @now, @backupTakenAt, @replacedHeadSeq)
                """, new { epoch, now, backupTakenAt, replacedHeadSeq }, ct);
            long sessions = await c.ExecAsync(tx, "UPDATE sessions SET ended_at = @now WHERE ended_at IS NULL", new { now }, ct);
            await c.ExecAsync(tx, "DELETE FROM backup_stamp", null, ct);
            List<(string, object)> details = [("epoch", epoch), ("sessionsEnded", sessions)];
            if (backupTakenAt is long taken)
            {
                details.Add(("backupTakenAt", taken));
            }
            if (replacedHeadSeq is long head)
            {
                details.Add(("replacedHeadSeq", head));
            }
            await new AuditStore(database).AppendAsync(c, tx, [new AuditEntry(now, null, null, null, null, AuditActions.ServerRestore,
                AuditTargets.Organisation, orgId, AuditOutcomes.Success, AuditEntry.DetailsOf([.. details]))], ct);
            return epoch;
        }, ct);
    }
}
