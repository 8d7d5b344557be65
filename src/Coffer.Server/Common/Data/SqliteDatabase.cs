using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Coffer.Server.Common.Data;

/// <summary>
/// SQLite, the one-machine default: a single file (0600 in a 0700 directory) in WAL mode with
/// <c>synchronous=FULL</c>, so an acknowledged write survives a power cut, and foreign keys enforced.
/// Connections are pooled by Microsoft.Data.Sqlite; the per-connection pragmas are applied to each
/// native handle the first time the pool hands it out.
/// </summary>
/// <remarks>
/// Writers queue in the process on an async lock before <c>BEGIN IMMEDIATE</c>. SQLite's own busy handler
/// cannot do it well here: the e_sqlite3 2.0.6 library is built without <c>HAVE_USLEEP</c>, so it sleeps in
/// whole seconds (a writer behind a 1 ms transaction waits 1 s), and SQLitePCLRaw 2.0.6 offers no
/// <c>sqlite3_busy_handler</c> to replace it. The busy timeout still covers other processes on the same file
/// (<c>coffer-server</c> commands) and writes outside <see cref="InTransactionAsync{T}"/>.
/// </remarks>
internal sealed class SqliteDatabase : IDatabase
{
    public const string DefaultFileName = "coffer.db";

    /// <summary>How long a writer waits for the write lock before giving up with SQLITE_BUSY.</summary>
    public const int BusyTimeoutMilliseconds = 5000;

    private const int SqliteBusy = 5;
    private const int MaxIdleHotConnections = 64;

    // busy_timeout first, so switching the journal mode waits for other connections rather than failing.
    // journal_mode is stored in the file; the others belong to the connection and are lost when it closes.
    private static readonly string ConnectionPragmas = string.Create(CultureInfo.InvariantCulture,
        $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA journal_mode = WAL;");

    private static readonly object Prepared = new();

    // One per file, shared by every SqliteDatabase on it in this process.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> WriteLocks = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, StrongBox<long>> WriteGenerations = new(StringComparer.Ordinal);

    // Keyed by the native handle, which outlives the SqliteConnection objects the pool wraps around it.
    private readonly ConditionalWeakTable<sqlite3, object> _preparedHandles = new();
    private readonly string _connectionString;
    private readonly string _hotConnectionString;
    private readonly SemaphoreSlim _writeLock;
    // Idle hot connections; a request takes one with a compare-and-swap (ConcurrentBag's stealing between threads took a lock).
    private readonly HotConnection?[] _hot = new HotConnection?[MaxIdleHotConnections];
    private bool _disposed;
    private readonly StrongBox<long> _writeGeneration;

    static SqliteDatabase() => Batteries_V2.Init();

    public SqliteDatabase(string path)
    {
        FilePath = Path.GetFullPath(path);
        CreatePrivateFile(FilePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWrite,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY itself until this many seconds have passed.
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();
        // Hot connections live outside Microsoft.Data.Sqlite's pool: closing a pooled connection finalises every
        // statement prepared on it, which is exactly what they exist to keep.
        _hotConnectionString = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false }.ToString();
        _writeLock = WriteLocks.GetOrAdd(FilePath, _ => new SemaphoreSlim(1, 1));
        _writeGeneration = WriteGenerations.GetOrAdd(FilePath, _ => new StrongBox<long>());
    }

    public DatabaseEngine Engine => DatabaseEngine.Sqlite;

    public string FilePath { get; }

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        SqliteConnection connection = new(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            Prepare(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Advances after every unit of work this process commits (or tries to) other than quiet ones
    /// (<see cref="InQuietTransactionAsync{T}"/>): whatever was read before a change has an older generation. SQLite
    /// serves one node, so this sees every change the server makes (shared by every instance on the file in this process); other processes' (<c>coffer-server</c> commands) it
    /// does not, which is why caches keyed on it also expire by time.
    /// </summary>
    public long WriteGeneration => Volatile.Read(ref _writeGeneration.Value);

    public Task<T> InTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunTransactionAsync(work, quiet: false, cancellationToken);

    public Task<T> InQuietTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken) =>
        RunTransactionAsync(work, quiet: true, cancellationToken);

    private async Task<T> RunTransactionAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, bool quiet, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!await _writeLock.WaitAsync(BusyTimeoutMilliseconds, cancellationToken).ConfigureAwait(false))
        {
            throw new SqliteException($"database is locked: no write lock within {BusyTimeoutMilliseconds} ms", SqliteBusy);
        }
        try
        {
            DbConnection connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // IMMEDIATE takes the write lock at BEGIN. A deferred transaction that reads and then writes
                // fails at once with SQLITE_BUSY when another writer committed in between.
                SqliteTransaction transaction = ((SqliteConnection)connection).BeginTransaction(deferred: false);
                await using (transaction.ConfigureAwait(false))
                {
                    T result = await work(connection, transaction).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
            }
        }
        finally
        {
            if (!quiet)
            {
                // After the commit: a reader that took the generation before it read rows from before the commit.
                Interlocked.Increment(ref _writeGeneration.Value);
            }
            _writeLock.Release();
        }
    }

    public ValueTask<T?> QueryOneAsync<T>(HotQuery<T> query, object?[] values, CancellationToken cancellationToken) where T : class
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(values);
        cancellationToken.ThrowIfCancellationRequested();
        // Synchronous on purpose: Microsoft.Data.Sqlite's async calls run synchronously anyway, and a point read by
        // primary key takes microseconds; the state machines would cost more than the read.
        HotConnection hot = TakeHot() ?? new HotConnection(_hotConnectionString);
        T? row;
        try
        {
            row = hot.QueryOne(query, values);
        }
        catch
        {
            hot.Dispose();
            throw;
        }
        if (_disposed || !ReturnHot(hot))
        {
            hot.Dispose();
        }
        return ValueTask.FromResult(row);
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        while (TakeHot() is { } hot)
        {
            hot.Dispose();
        }
        // Closes the pooled handles so the file can be moved or deleted once the server has stopped.
        using SqliteConnection connection = new(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    private HotConnection? TakeHot()
    {
        for (int i = 0; i < _hot.Length; i++)
        {
            if (_hot[i] is { } hot && Interlocked.CompareExchange(ref _hot[i], null, hot) == hot)
            {
                return hot;
            }
        }
        return null;
    }

    // A request holds a hot connection only for the microseconds of one read, but a thread preempted in the middle of one
    // (a busy machine) makes the next request open another; opening costs far more than the read, so enough are kept
    // that a busy server does not open and close them in turn. Each costs little memory (its schema and statements).
    private bool ReturnHot(HotConnection hot)
    {
        for (int i = 0; i < _hot.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _hot[i], hot, null) is null)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A connection of its own with the hot statements prepared on it, used by one request at a time.</summary>
    private sealed class HotConnection : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly Dictionary<object, SqliteCommand> _commands = new(ReferenceEqualityComparer.Instance);

        public HotConnection(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            try
            {
                _connection.Open();
                using SqliteCommand pragmas = _connection.CreateCommand();
                pragmas.CommandText = ConnectionPragmas;
                pragmas.ExecuteNonQuery();
            }
            catch
            {
                _connection.Dispose();
                throw;
            }
        }

        public T? QueryOne<T>(HotQuery<T> query, object?[] values) where T : class
        {
            if (values.Length != query.Parameters.Length)
            {
                throw new ArgumentException("One value per parameter of the query.", nameof(values));
            }
            if (!_commands.TryGetValue(query, out SqliteCommand? command))
            {
                command = _connection.CreateCommand();
                command.CommandText = query.Sql;
                foreach (string name in query.Parameters)
                {
                    command.Parameters.Add(new SqliteParameter("@" + name, null));
                }
                command.Prepare();
                _commands.Add(query, command);
            }
            for (int i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }
            // Disposing the reader resets the statement (ending its read snapshot) but keeps it prepared.
            using SqliteDataReader reader = command.ExecuteReader(System.Data.CommandBehavior.SingleRow);
            return reader.Read() ? query.Read(reader) : null;
        }

        public void Dispose()
        {
            foreach (SqliteCommand command in _commands.Values)
            {
                command.Dispose();
            }
            _connection.Dispose();
        }
    }

    private void Prepare(SqliteConnection connection)
    {
        sqlite3 handle = connection.Handle ?? throw new InvalidOperationException("The SQLite connection has no handle.");
        if (_preparedHandles.TryGetValue(handle, out _))
        {
            return;
        }
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = ConnectionPragmas;
        command.ExecuteNonQuery();
        _preparedHandles.AddOrUpdate(handle, Prepared);
    }

    /// <summary>Creates the directory (0700) and an empty database file (0600) unless they exist; SQLite gives its -wal and -shm files the database file's mode.</summary>
    private static void CreatePrivateFile(string path)
    {
        string directory = Path.GetDirectoryName(path) ?? throw new ArgumentException("The database path has no directory.", nameof(path));
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
        if (File.Exists(path))
        {
            return;
        }
        FileStreamOptions options = new() { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            // An empty file is an empty SQLite database.
            using FileStream created = new(path, options);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first.
        }
    }
}
