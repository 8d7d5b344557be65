using System.Data.Common;
using Coffer.Server.Common.Data;
using Npgsql;

namespace Coffer.Server.Features.Operations;

/// <summary>
/// Who is using the database: every running server holds a shared lock for as long as it runs, and
/// <c>coffer-server restore</c> an exclusive one, so a restore never runs under a server and a server never starts in
/// the middle of a restore. The lock belongs to the process (or connection) holding it, so a killed server leaves nothing
/// to clean up.
/// <list type="bullet">
/// <item>SQLite: <c>flock(2)</c> on <c>&lt;database&gt;.lock</c> (0600) beside the file. .NET takes it for us:
/// opening for reading with <see cref="FileShare.ReadWrite"/> takes <c>LOCK_SH</c>, <see cref="FileShare.None"/>
/// takes <c>LOCK_EX</c>, both without waiting. flock locks an open file description, so two holders in one process
/// exclude each other as two processes do.</item>
/// <item>PostgreSQL: a session-level advisory lock on a connection of its own (<c>pg_try_advisory_lock_shared</c> /
/// <c>pg_try_advisory_lock</c>). Advisory locks belong to one database, so other databases on the cluster do not
/// interfere. If that connection drops, the server runs on without the lock until it restarts.</item>
/// </list>
/// </summary>
internal sealed class ServerLock : IAsyncDisposable
{
    /// <summary>The advisory-lock key ("coffer" in ASCII, then "rs").</summary>
    public const long PostgresLockKey = 0x636F66666572_7273;

    private FileStream? _file;
    private NpgsqlConnection? _connection;

    private ServerLock(FileStream file) => _file = file;

    private ServerLock(NpgsqlConnection connection) => _connection = connection;

    /// <summary>The lock file of a SQLite database.</summary>
    public static string SqliteLockPath(string databasePath) => Path.GetFullPath(databasePath) + ".lock";

    /// <summary>Takes the lock without waiting; null when someone holds it in a conflicting mode.</summary>
    public static async Task<ServerLock?> TryAcquireAsync(IDatabase database, bool exclusive, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(database);
        switch (database)
        {
            case SqliteDatabase sqlite:
                return TryAcquireSqlite(sqlite.FilePath, exclusive);
            case PostgresDatabase postgres:
                NpgsqlConnection connection = await postgres.DataSource.OpenConnectionAsync(ct);
                try
                {
                    await using NpgsqlCommand command = new(
                        exclusive ? "SELECT pg_try_advisory_lock(@key)" : "SELECT pg_try_advisory_lock_shared(@key)", connection);
                    command.Parameters.AddWithValue("key", PostgresLockKey);
                    if (await command.ExecuteScalarAsync(ct) is true)
                    {
                        return new ServerLock(connection);
                    }
                }
                catch
                {
                    await connection.DisposeAsync();
                    throw;
                }
                await connection.DisposeAsync();
                return null;
            default:
                throw new ArgumentException("Unknown database engine.", nameof(database));
        }
    }

    /// <summary>Takes the lock of a SQLite database file without opening the database; null when it is held in a conflicting mode.</summary>
    public static ServerLock? TryAcquireSqlite(string databasePath, bool exclusive) => TryLockFile(SqliteLockPath(databasePath), exclusive);

    public async ValueTask DisposeAsync()
    {
        if (_file is not null)
        {
            await _file.DisposeAsync();
            _file = null;
        }
        if (_connection is not null)
        {
            try
            {
                // The pool keeps the session open after Dispose; release the lock explicitly.
                await using (NpgsqlCommand unlock = new("SELECT pg_advisory_unlock_all()", _connection))
                {
                    await unlock.ExecuteNonQueryAsync();
                }
                await _connection.DisposeAsync();
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException)
            {
                // The connection is gone already, and the lock with it.
            }
            _connection = null;
        }
    }

    private static ServerLock? TryLockFile(string path, bool exclusive)
    {
        FileStreamOptions create = new() { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        if (!File.Exists(path))
        {
            // Created apart from the locking open: .NET takes a shared flock only on files opened for reading.
            using FileStream created = new(path, create);
        }
        try
        {
            return new ServerLock(new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = exclusive ? FileAccess.ReadWrite : FileAccess.Read,
                Share = exclusive ? FileShare.None : FileShare.ReadWrite,
            }));
        }
        catch (IOException) when (File.Exists(path))
        {
            return null;
        }
    }
}

/// <summary>Holds the shared <see cref="ServerLock"/> from before the migrations run until the server has stopped.</summary>
internal sealed class ServerLockService(IDatabase database) : IHostedLifecycleService, IAsyncDisposable
{
    private ServerLock? _lock;

    public async Task StartingAsync(CancellationToken cancellationToken) =>
        _lock = await ServerLock.TryAcquireAsync(database, exclusive: false, cancellationToken)
            ?? throw new DatabaseInUseException("coffer-server restore is running on this database; start the server once it has finished.");

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (_lock is not null)
        {
            await _lock.DisposeAsync();
            _lock = null;
        }
    }
}

/// <summary>Another process holds the database in a way that excludes this one (a restore, or a running server).</summary>
internal sealed class DatabaseInUseException(string message) : Exception(message);
