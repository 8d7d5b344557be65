using System.Globalization;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Mfa;
using Microsoft.Data.Sqlite;

namespace Coffer.Server.Features.Operations;

/// <summary>
/// <c>coffer-server backup &lt;file&gt; [settings]</c>: a consistent copy of the SQLite database, taken while the server
/// may be running. <c>VACUUM INTO</c> reads the whole database in one read transaction (WAL readers see one snapshot and
/// never block the server's writers) and writes a compact copy; the copy is checked (<c>PRAGMA quick_check</c>),
/// switched to a rollback journal so it stands alone as one file, stamped with the time it was taken, flushed and
/// renamed into place, 0600 from the start. An existing file is never overwritten. On PostgreSQL it explains
/// <c>pg_dump</c> and exits 2. Exit 0 on success, 2 when it cannot run.
/// </summary>
internal static class BackupCommand
{
    public static bool Matches(string[] args) => args.Length >= 1 && args[0] == "backup";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TimeProvider clock, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(clock);
        if (args.Length < 2 || args[1].StartsWith('-'))
        {
            await error.WriteLineAsync("usage: coffer-server backup <file> [--Coffer:…=… settings as for the server]");
            return 2;
        }
        CofferOptions options = CommandSettings.Load(args[2..]);
        string? live = DatabaseServices.SqliteFilePath(options);
        if (live is null)
        {
            await error.WriteLineAsync("""
                coffer-server: the database is PostgreSQL; back it up with PostgreSQL's own tools, which take a consistent
                snapshot while servers run:
                  pg_dump --format=custom --file=coffer.dump "<the Coffer:Database:ConnectionString database>"
                Keep the audit key (<DataDirectory>/audit-key.p8) and the MFA key (<DataDirectory>/mfa-key.bin) with your
                backups: they are not in the database.
                To restore: stop every coffer-server, pg_restore --clean --if-exists --dbname=… coffer.dump, then run
                  coffer-server restore --mark-restored
                so clients are told the server went back in time.
                """);
            return 2;
        }
        if (!File.Exists(live))
        {
            await error.WriteLineAsync($"coffer-server: there is no database at {live}; check Coffer:DataDirectory and Coffer:Database:ConnectionString.");
            return 2;
        }
        string target = Path.GetFullPath(args[1]);
        if (File.Exists(target) || Directory.Exists(target))
        {
            await error.WriteLineAsync($"coffer-server: {target} exists; a backup never overwrites a file.");
            return 2;
        }
        string directory = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(directory))
        {
            await error.WriteLineAsync($"coffer-server: the directory {directory} does not exist.");
            return 2;
        }

        // Shared with running servers; only a restore, which is replacing the file, holds it exclusively.
        await using ServerLock? reading = ServerLock.TryAcquireSqlite(live, exclusive: false);
        if (reading is null)
        {
            await error.WriteLineAsync("coffer-server: a restore is running on this database; back it up once it has finished.");
            return 2;
        }

        // Beside the target, so the final rename stays on one file system and a half-written backup never has its name.
        string partial = Path.Combine(directory, "." + Path.GetFileName(target) + ".partial-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await using (SqliteFiles.CreatePrivate(partial))
            {
                // VACUUM INTO accepts an empty file, so the copy is never readable by others, not even for a moment.
            }
            long takenAt = clock.GetUtcNow().ToUnixTimeMilliseconds();
            await using (SqliteConnection source = await SqliteFiles.OpenAsync(live, ct))
            {
                await using SqliteCommand vacuum = source.CreateCommand();
                vacuum.CommandText = "VACUUM INTO $target";
                vacuum.Parameters.AddWithValue("$target", partial);
                await vacuum.ExecuteNonQueryAsync(ct);
            }
            BackupFacts facts;
            await using (SqliteConnection copy = await SqliteFiles.OpenAsync(partial, ct))
            {
                await SqliteFiles.ExecAsync(copy, "PRAGMA journal_mode = DELETE", ct);
                string? check = (string?)await SqliteFiles.ScalarAsync(copy, "PRAGMA quick_check", ct);
                if (check != "ok")
                {
                    throw new InvalidOperationException($"The copy failed SQLite's check ({check}); the database may be damaged: run PRAGMA integrity_check on {live}.");
                }
                if (await SqliteFiles.HasTableAsync(copy, "backup_stamp", ct))
                {
                    await using SqliteCommand stamp = copy.CreateCommand();
                    stamp.CommandText = """
                        INSERT INTO backup_stamp (singleton, taken_at, server_version) VALUES (1, $takenAt, $version)
                        ON CONFLICT (singleton) DO UPDATE SET taken_at = excluded.taken_at, server_version = excluded.server_version
                        """;
                    stamp.Parameters.AddWithValue("$takenAt", takenAt);
                    stamp.Parameters.AddWithValue("$version", CofferServer.Version);
                    await stamp.ExecuteNonQueryAsync(ct);
                }
                facts = await BackupFacts.ReadAsync(copy, ct);
            }
            SqliteFiles.Sync(partial);
            File.Move(partial, target, overwrite: false);
            long size = new FileInfo(target).Length;
            await output.WriteLineAsync("backup: OK");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {target} ({size} bytes, 0600), taken {DateTimeOffset.FromUnixTimeMilliseconds(takenAt):yyyy-MM-ddTHH:mm:ssZ} from {live}"));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  schema at migration {facts.SchemaVersion:D4}; activity log through seq {facts.AuditHeadSeq}"));
            string mfaKey = Path.Combine(Path.GetFullPath(options.DataDirectory), MfaKey.FileName);
            await output.WriteLineAsync(
                $"  the audit key ({AuditKey.PathIn(options.DataDirectory)}) and the MFA key ({mfaKey}, which seals the members' TOTP secrets)");
            await output.WriteLineAsync("  are not in the backup: keep a copy of each with your backups.");
            await output.WriteLineAsync("  restore with: coffer-server restore <file> (with every server stopped)");
            return 0;
        }
        finally
        {
            SqliteFiles.DeleteWithCompanions(partial, includingFile: true);
        }
    }
}

/// <summary>What a database file says about itself.</summary>
internal sealed record BackupFacts(long SchemaVersion, long AuditHeadSeq)
{
    public static async Task<BackupFacts> ReadAsync(SqliteConnection connection, CancellationToken ct)
    {
        long schema = await SqliteFiles.HasTableAsync(connection, "schema_migrations", ct)
            ? (long?)await SqliteFiles.ScalarAsync(connection, "SELECT max(version) FROM schema_migrations", ct) ?? 0
            : 0;
        long head = await SqliteFiles.HasTableAsync(connection, "audit_head", ct)
            ? (long?)await SqliteFiles.ScalarAsync(connection, "SELECT seq FROM audit_head", ct) ?? 0
            : 0;
        return new BackupFacts(schema, head);
    }
}
