using System.Data.Common;
using System.Globalization;
using Dapper;

namespace Coffer.Server.Common.Data.Migrations;

/// <summary>
/// Brings a database to this server's schema: applies the missing migrations in order, each in its own
/// transaction together with its row in <c>schema_migrations</c>, so a failed one leaves nothing behind.
/// Refuses, with a message that says what to do, a database whose applied migrations were edited or that a
/// newer server has upgraded. Runs without a web host (<c>coffer-server migrate</c>) as well as at start-up.
/// </summary>
/// <remarks>
/// Several processes may start at once: on PostgreSQL every step first takes a transaction-level advisory
/// lock; on SQLite the step's <c>BEGIN IMMEDIATE</c> is the lock. Each step re-reads what is applied under
/// that lock, so a migration another node applied meanwhile is checked, not run twice. Migrations run inside
/// a transaction: no <c>CREATE INDEX CONCURRENTLY</c> (PostgreSQL) and no <c>PRAGMA foreign_keys</c> (SQLite;
/// use <c>PRAGMA defer_foreign_keys</c> when rebuilding a table).
/// </remarks>
internal static partial class MigrationRunner
{
    /// <summary>The advisory-lock key that serialises migrators on PostgreSQL ("coffer" in ASCII, then "mig").</summary>
    public const long PostgresLockKey = 0x636F66666572_6D69;

    private const string SqliteCreateTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER NOT NULL PRIMARY KEY,
            name       TEXT    NOT NULL,
            applied_at INTEGER NOT NULL,
            checksum   TEXT    NOT NULL
        )
        """;

    private const string PostgresCreateTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    bigint NOT NULL PRIMARY KEY,
            name       text   NOT NULL,
            applied_at bigint NOT NULL,
            checksum   text   NOT NULL
        )
        """;

    private const string SelectApplied = "SELECT version AS Version, name AS Name, checksum AS Checksum FROM schema_migrations ORDER BY version";

    private const string InsertApplied =
        "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (@Version, @Name, @AppliedAt, @Checksum)";

    /// <summary>Applies this server's migrations for the database's engine; returns those it applied (none when up to date).</summary>
    public static Task<IReadOnlyList<Migration>> ApplyAsync(IDatabase database, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        return ApplyAsync(database, Migration.For(database.Engine), logger, cancellationToken);
    }

    /// <summary>Applies <paramref name="migrations"/> (numbered 1, 2, 3…); returns those it applied.</summary>
    public static async Task<IReadOnlyList<Migration>> ApplyAsync(
        IDatabase database, IReadOnlyList<Migration> migrations, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(database);
        Migration.CheckSequence(migrations);
        List<Migration> applied = [];
        while (true)
        {
            Migration? step = await database.InTransactionAsync(
                (connection, transaction) => ApplyNextAsync(database.Engine, connection, transaction, migrations, cancellationToken),
                cancellationToken).ConfigureAwait(false);
            if (step is null)
            {
                break;
            }
            if (logger is not null)
            {
                LogApplied(logger, step.Id);
            }
            applied.Add(step);
        }
        if (logger is not null)
        {
            LogUpToDate(logger, migrations.Count == 0 ? 0 : migrations[^1].Version, database.Engine);
        }
        return applied;
    }

    /// <summary>One step, in its own transaction: lock, check everything applied so far, apply the next one.</summary>
    private static async Task<Migration?> ApplyNextAsync(
        DatabaseEngine engine, DbConnection connection, DbTransaction transaction, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        if (engine == DatabaseEngine.Postgres)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(@key)", new { key = PostgresLockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        string createTable = engine switch
        {
            DatabaseEngine.Sqlite => SqliteCreateTable,
            DatabaseEngine.Postgres => PostgresCreateTable,
            _ => throw new ArgumentOutOfRangeException(nameof(engine)),
        };
        await connection.ExecuteAsync(new CommandDefinition(createTable, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        List<AppliedMigration> done = (await connection.QueryAsync<AppliedMigration>(
            new CommandDefinition(SelectApplied, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).AsList();

        Migration? next = NextToApply(done, migrations);
        if (next is null)
        {
            return null;
        }
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(next.Sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw new MigrationException(
                $"Migration {next.Id} failed and was rolled back; the database is as it was before it. The database said: {e.Message}", e);
        }
        await connection.ExecuteAsync(new CommandDefinition(InsertApplied, new
        {
            next.Version,
            next.Name,
            AppliedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            next.Checksum,
        }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return next;
    }

    /// <summary>Checks what the database has applied against what this server knows; returns the next migration to apply.</summary>
    internal static Migration? NextToApply(IReadOnlyList<AppliedMigration> done, IReadOnlyList<Migration> migrations)
    {
        Dictionary<long, Migration> known = migrations.ToDictionary(m => (long)m.Version);
        foreach (AppliedMigration row in done)
        {
            if (!known.TryGetValue(row.Version, out Migration? migration))
            {
                string latest = migrations.Count == 0 ? "none" : migrations[^1].Id;
                throw new MigrationException(string.Create(CultureInfo.InvariantCulture,
                    $"The database has migration {row.Version:D4}_{row.Name} applied, which this coffer-server ({CofferServer.Version}, latest migration {latest}) does not know: a newer server has upgraded this database. Run that newer version, or restore a backup taken before the upgrade."));
            }
            if (!string.Equals(row.Name, migration.Name, StringComparison.Ordinal) || !string.Equals(row.Checksum, migration.Checksum, StringComparison.Ordinal))
            {
                throw new MigrationException(string.Create(CultureInfo.InvariantCulture,
                    $"Migration {migration.Id} differs from the one applied to this database (applied as {row.Version:D4}_{row.Name}, checksum {Short(row.Checksum)}; this server's checksum {Short(migration.Checksum)}). An applied migration must never be edited: restore the original file and put the change in a new migration."));
            }
        }
        HashSet<long> applied = done.Select(r => r.Version).ToHashSet();
        Migration? next = migrations.FirstOrDefault(m => !applied.Contains(m.Version));
        if (next is not null && done.Any(r => r.Version > next.Version))
        {
            throw new MigrationException(string.Create(CultureInfo.InvariantCulture,
                $"Migration {next.Id} was never applied to this database, yet later ones were: its history does not match this server's. Restore a backup."));
        }
        return next;
    }

    private static string Short(string checksum) => checksum.Length > 12 ? checksum[..12] + "…" : checksum;

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Applied database migration {Migration}")]
    private static partial void LogApplied(ILogger logger, string migration);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Database schema is at migration {Version} ({Engine})")]
    private static partial void LogUpToDate(ILogger logger, int version, DatabaseEngine engine);
}

/// <summary>A row of <c>schema_migrations</c>.</summary>
internal sealed class AppliedMigration
{
    public long Version { get; set; }

    public string Name { get; set; } = "";

    public string Checksum { get; set; } = "";
}
