using System.Globalization;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Data.Migrations;
using Coffer.Server.Features.Audit;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Coffer.Server.Features.Operations;

/// <summary>
/// <c>coffer-server restore &lt;file&gt; [settings]</c> puts a backup made by <c>coffer-server backup</c> back as the
/// SQLite database; <c>coffer-server restore --mark-restored</c> records a restore made by other means (pg_restore).
/// Either way the restore epoch rises (docs/adr/0013-restore-epoch.md), every session ends, a <c>server.restore</c>
/// event is appended and a checkpoint signed, and it refuses while a server uses the database (<see cref="ServerLock"/>).
/// <para>
/// A file restore works on a private copy beside the database: it must pass SQLite's check, be a Coffer database whose
/// applied migrations this server knows unedited, hold the organisation, and carry checkpoints signed by this data
/// directory's audit key (or the log would never verify again). The copy is migrated and marked, made to stand alone,
/// and renamed over the database in one step — at every moment the database file is either the old one or the new
/// one. The replaced database is kept beside it (<c>.replaced-&lt;time&gt;</c>). Exit 0 on success, 2 otherwise.
/// </para>
/// </summary>
internal static class RestoreCommand
{
    public const string MarkRestoredFlag = "--mark-restored";

    public static bool Matches(string[] args) => args.Length >= 1 && args[0] == "restore";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TimeProvider clock, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(clock);
        if (args.Length < 2 || (args[1].StartsWith('-') && args[1] != MarkRestoredFlag))
        {
            await error.WriteLineAsync($"usage: coffer-server restore <backup file> | {MarkRestoredFlag}  [--Coffer:…=… settings as for the server]");
            return 2;
        }
        bool markOnly = args[1] == MarkRestoredFlag;
        CofferOptions options = CommandSettings.Load(args[2..]);
        string? live = DatabaseServices.SqliteFilePath(options);
        if (!markOnly && live is null)
        {
            await error.WriteLineAsync($"""
                coffer-server: the database is PostgreSQL; restore it with PostgreSQL's own tools, with every coffer-server stopped:
                  pg_restore --clean --if-exists --dbname="<the Coffer:Database:ConnectionString database>" coffer.dump
                then record the restore, so clients are told the server went back in time:
                  coffer-server restore {MarkRestoredFlag}
                """);
            return 2;
        }
        string keyPath = AuditKey.PathIn(options.DataDirectory);
        using AuditKey? key = AuditKey.Load(keyPath);
        if (key is null)
        {
            await error.WriteLineAsync(
                $"coffer-server: no audit key at {keyPath}. The activity log's checkpoints are signed with it: put the data directory's audit key back from your backups first.");
            return 2;
        }
        try
        {
            return markOnly
                ? await MarkAsync(options, live, key, output, clock, ct)
                : await RestoreFileAsync(live!, Path.GetFullPath(args[1]), key, output, clock, ct);
        }
        catch (RestoreRefusedException e)
        {
            await error.WriteLineAsync("coffer-server: " + e.Message);
            return 2;
        }
    }

    private static async Task<int> MarkAsync(CofferOptions options, string? live, AuditKey key, TextWriter output, TimeProvider clock, CancellationToken ct)
    {
        if (live is not null && !File.Exists(live))
        {
            throw new RestoreRefusedException($"there is no database at {live}.");
        }
        await using IDatabase database = DatabaseServices.Create(options);
        await using ServerLock? exclusive = await ServerLock.TryAcquireAsync(database, exclusive: true, ct);
        if (exclusive is null)
        {
            throw InUse();
        }
        await MigrationRunner.ApplyAsync(database, logger: null, ct);
        long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        long epoch = await RestoreStore.MarkRestoredAsync(database, now, atLeast: 0, backupTakenAt: null, replacedHeadSeq: null, ct);
        await new AuditStore(database).CheckpointAsync(key, now, ct);
        await output.WriteLineAsync("restore: recorded");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  restore epoch is now {epoch}; every session was ended"));
        return 0;
    }

    private static async Task<int> RestoreFileAsync(string live, string source, AuditKey key, TextWriter output, TimeProvider clock, CancellationToken ct)
    {
        if (!File.Exists(source))
        {
            throw new RestoreRefusedException($"there is no file at {source}.");
        }
        if (string.Equals(source, live, StringComparison.Ordinal))
        {
            throw new RestoreRefusedException("that is the database itself; name a backup file.");
        }
        if (File.Exists(source + "-wal") && new FileInfo(source + "-wal").Length > 0)
        {
            throw new RestoreRefusedException(
                $"{source} has a write-ahead log beside it: it is a database in use, not a backup. Make backups with coffer-server backup.");
        }
        string directory = Path.GetDirectoryName(live)!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        await using ServerLock? exclusive = ServerLock.TryAcquireSqlite(live, exclusive: true);
        if (exclusive is null)
        {
            throw InUse();
        }

        string staging = Path.Combine(directory, Path.GetFileName(live) + ".restoring-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await SqliteFiles.CopyPrivateAsync(source, staging, ct);
            Inspection backup = await InspectAsync(staging, key, ct);
            Inspection? replaced = File.Exists(live) ? await TryInspectReplacedAsync(live, ct) : null;

            long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            long epoch;
            await using (SqliteDatabase staged = new(staging))
            {
                await MigrationRunner.ApplyAsync(staged, logger: null, ct);
                epoch = await RestoreStore.MarkRestoredAsync(staged, now, replaced?.Epoch ?? 0, backup.BackupTakenAt, replaced?.AuditHeadSeq, ct);
                await new AuditStore(staged).CheckpointAsync(key, now, ct);
            }
            await SqliteFiles.DetachJournalAsync(staging, ct);
            SqliteFiles.Sync(staging);

            string? keptAt = null;
            if (File.Exists(live))
            {
                // A server killed mid-flight leaves committed writes in the WAL; fold them in so the kept copy is whole,
                // and so no stale WAL is left for SQLite to replay into the restored file.
                await using (SqliteConnection old = await SqliteFiles.OpenAsync(live, ct))
                {
                    await SqliteFiles.ExecAsync(old, "PRAGMA wal_checkpoint(TRUNCATE)", ct);
                }
                if (File.Exists(live + "-wal") && new FileInfo(live + "-wal").Length > 0)
                {
                    throw new RestoreRefusedException($"the write-ahead log of {live} could not be folded in; nothing was changed.");
                }
                keptAt = live + ".replaced-" + DateTimeOffset.FromUnixTimeMilliseconds(now).ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
                await SqliteFiles.CopyPrivateAsync(live, keptAt, ct);
            }
            SqliteFiles.DeleteWithCompanions(live, includingFile: false);
            File.Move(staging, live, overwrite: true);

            await output.WriteLineAsync("restore: OK");
            string taken = backup.BackupTakenAt is long t ? "taken " + Iso(t) : "not made by coffer-server backup, so its time is unknown";
            await output.WriteLineAsync($"  {source} ({taken}) is now {live}");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  restore epoch is now {epoch}: clients are told the server went back to this backup before they accept older versions"));
            await output.WriteLineAsync("  every session was ended: everyone signs in again");
            if (keptAt is not null)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  the replaced database is kept at {keptAt} (its activity log reached seq {replaced?.AuditHeadSeq}; this one went back to seq {backup.AuditHeadSeq} and records the restore after it)"));
            }
            foreach (string lost in Lost(backup, replaced))
            {
                await output.WriteLineAsync("  gone with the restore, to be done again: " + lost);
            }
            return 0;
        }
        finally
        {
            SqliteFiles.DeleteWithCompanions(staging, includingFile: true);
        }
    }

    private static RestoreRefusedException InUse() => new(
        "a coffer-server is running on this database. Stop every server using it, then run the restore again.");

    /// <summary>Refuses anything but a sound Coffer database this server can run, whose log this audit key signed.</summary>
    private static async Task<Inspection> InspectAsync(string path, AuditKey key, CancellationToken ct)
    {
        try
        {
            await using SqliteConnection c = await SqliteFiles.OpenAsync(path, ct);
            string? check = (string?)await SqliteFiles.ScalarAsync(c, "PRAGMA quick_check", ct);
            if (check != "ok")
            {
                throw new RestoreRefusedException($"the backup fails SQLite's check ({check}).");
            }
            if (!await SqliteFiles.HasTableAsync(c, "schema_migrations", ct) || !await SqliteFiles.HasTableAsync(c, "organisations", ct))
            {
                throw new RestoreRefusedException("the file is a SQLite database but not a Coffer one.");
            }
            List<AppliedMigration> applied = [.. await c.QueryAsync<AppliedMigration>(
                "SELECT version AS Version, name AS Name, checksum AS Checksum FROM schema_migrations ORDER BY version")];
            if (!applied.Any(m => m.Version == 1))
            {
                throw new RestoreRefusedException("the file is a SQLite database but not a Coffer one.");
            }
            try
            {
                _ = MigrationRunner.NextToApply(applied, Migration.For(DatabaseEngine.Sqlite));
            }
            catch (MigrationException e)
            {
                throw new RestoreRefusedException("this server cannot run the backup: " + e.Message);
            }
            if ((long)(await SqliteFiles.ScalarAsync(c, "SELECT count(*) FROM organisations", ct))! != 1)
            {
                throw new RestoreRefusedException("the backup holds no organisation: it was taken before the server was set up.");
            }
            byte[]? signer = (byte[]?)await SqliteFiles.ScalarAsync(c,
                "SELECT key_fingerprint FROM audit_checkpoints WHERE seq = (SELECT max(seq) FROM audit_checkpoints)", ct);
            if (signer is not null && !signer.AsSpan().SequenceEqual(key.PublicKey.Fingerprint.ToArray()))
            {
                throw new RestoreRefusedException(
                    "the backup's activity log was signed by another audit key than the one in this data directory; put that server's audit key back first.");
            }
            long? takenAt = await SqliteFiles.HasTableAsync(c, "backup_stamp", ct)
                ? (long?)await SqliteFiles.ScalarAsync(c, "SELECT taken_at FROM backup_stamp", ct)
                : null;
            return await Inspection.ReadAsync(c, takenAt, ct);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11)
        {
            // SQLITE_NOTADB, SQLITE_CORRUPT.
            throw new RestoreRefusedException("the file is not a SQLite database.");
        }
    }

    /// <summary>What the database being replaced says, for the report and the epoch floor; null when it cannot be read.</summary>
    private static async Task<Inspection?> TryInspectReplacedAsync(string path, CancellationToken ct)
    {
        try
        {
            await using SqliteConnection c = await SqliteFiles.OpenAsync(path, ct);
            return await SqliteFiles.HasTableAsync(c, "organisations", ct) ? await Inspection.ReadAsync(c, null, ct) : null;
        }
        catch (SqliteException)
        {
            return null;
        }
    }

    /// <summary>Security-relevant changes made after the backup, which the restore undoes.</summary>
    private static IEnumerable<string> Lost(Inspection backup, Inspection? replaced)
    {
        if (replaced is null)
        {
            yield break;
        }
        if (replaced.RevocationListVersion > backup.RevocationListVersion)
        {
            yield return string.Create(CultureInfo.InvariantCulture,
                $"revocation list version {replaced.RevocationListVersion} (back at {backup.RevocationListVersion}; clients refuse an older list than they saw, so issue a new one)");
        }
        foreach ((string vault, long serial) in replaced.VaultKeySerials.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            long before = backup.VaultKeySerials.GetValueOrDefault(vault);
            if (before > 0 && serial > before)
            {
                yield return string.Create(CultureInfo.InvariantCulture, $"vault {vault} key rotation to serial {serial} (back at {before}; rotate it again)");
            }
        }
    }

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private sealed record Inspection(long Epoch, long AuditHeadSeq, long RevocationListVersion, Dictionary<string, long> VaultKeySerials, long? BackupTakenAt)
    {
        public static async Task<Inspection> ReadAsync(SqliteConnection c, long? takenAt, CancellationToken ct)
        {
            long epoch = (long?)await SqliteFiles.ScalarAsync(c, "SELECT restore_epoch FROM organisations", ct) ?? 0;
            long head = (long?)await SqliteFiles.ScalarAsync(c, "SELECT seq FROM audit_head", ct) ?? 0;
            long crl = (long?)await SqliteFiles.ScalarAsync(c, "SELECT max(version) FROM revocation_lists", ct) ?? 0;
            Dictionary<string, long> serials = await SqliteFiles.HasTableAsync(c, "vaults", ct)
                ? (await c.QueryAsync<(string Id, long Serial)>("SELECT id, key_serial FROM vaults")).ToDictionary(v => v.Id, v => v.Serial, StringComparer.Ordinal)
                : new Dictionary<string, long>(StringComparer.Ordinal);
            return new Inspection(epoch, head, crl, serials, takenAt);
        }
    }
}

/// <summary>The restore was refused; the message says why and what to do. Nothing was changed.</summary>
internal sealed class RestoreRefusedException(string message) : Exception(message);
