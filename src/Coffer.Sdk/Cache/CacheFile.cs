using Microsoft.Data.Sqlite;

namespace Coffer.Sdk.Cache;

/// <summary>
/// The SQLite file under the local cache (docs/adr/0019-local-cache.md): a plaintext header (what it takes to derive the
/// cache key: member id, KDF parameters, the keyset and the cache key as sealed), sealed records by name, and sealed items
/// by id with their vault. Nothing here knows a key; <see cref="LocalCache"/> seals and opens. The file is created 0600
/// in a directory only its owner may enter (SQLite gives its journal the database's mode), every change runs in a
/// transaction with <c>synchronous=FULL</c>, and a journal left by a crash is rolled back when the file is opened next.
/// Not thread-safe: one owner at a time.
/// </summary>
internal sealed class CacheFile : IDisposable
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly string[] Schema =
    [
        "CREATE TABLE IF NOT EXISTS header (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS records (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
        "CREATE TABLE IF NOT EXISTS items (item_id TEXT PRIMARY KEY, vault_id TEXT NOT NULL, value BLOB NOT NULL)",
        "CREATE INDEX IF NOT EXISTS items_by_vault ON items (vault_id)",
    ];

    private readonly SqliteConnection _connection;
    private SqliteTransaction? _transaction;

    static CacheFile() => SQLitePCL.Batteries_V2.Init();

    private CacheFile(string path, SqliteConnection connection)
    {
        Path = path;
        _connection = connection;
    }

    public string Path { get; }

    /// <summary>Opens the file (creating it, empty and 0600, when <paramref name="create"/> and it does not exist).</summary>
    /// <exception cref="LocalCacheException">The directory or file is not private to its owner, or the file is missing.</exception>
    /// <exception cref="SqliteException">The file is not a database SQLite can read.</exception>
    public static CacheFile Open(string path, bool create)
    {
        string full = System.IO.Path.GetFullPath(path);
        PrepareDirectory(System.IO.Path.GetDirectoryName(full)!, create);
        if (!File.Exists(full))
        {
            if (!create)
            {
                throw new LocalCacheException(LocalCacheFailure.Missing, "There is no local cache on this device yet: sign in online once to make it.");
            }
            CreatePrivateFile(full);
        }
        else
        {
            MakePrivate(full);
        }
        SqliteConnection connection = new(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            CacheFile file = new(full, connection);
            file.Execute("PRAGMA journal_mode=DELETE");
            file.Execute("PRAGMA synchronous=FULL");
            file.Execute("PRAGMA secure_delete=ON");
            foreach (string statement in Schema)
            {
                file.Execute(statement);
            }
            return file;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Removes the file and any journal beside it.</summary>
    public static void Delete(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        foreach (string suffix in (string[])["", "-journal", "-wal", "-shm"])
        {
            File.Delete(full + suffix);
        }
    }

    /// <summary>Runs <paramref name="work"/> in one transaction: all of it lands, or none of it.</summary>
    public void InTransaction(Action work)
    {
        if (_transaction is not null)
        {
            work();
            return;
        }
        _transaction = _connection.BeginTransaction();
        try
        {
            work();
            _transaction.Commit();
        }
        finally
        {
            _transaction.Dispose();
            _transaction = null;
        }
    }

    /// <summary>Starts a transaction the caller commits (across awaits); disposing it uncommitted rolls everything back.</summary>
    public Transaction Begin()
    {
        if (_transaction is not null)
        {
            throw new InvalidOperationException("A cache transaction is already open.");
        }
        _transaction = _connection.BeginTransaction();
        return new Transaction(this);
    }

    public string? Header(string name) =>
        Scalar("SELECT value FROM header WHERE name = $name", ("$name", name)) as string;

    public void SetHeader(string name, string value) =>
        Execute("INSERT INTO header (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            ("$name", name), ("$value", value));

    public byte[]? Record(string name) =>
        Scalar("SELECT value FROM records WHERE name = $name", ("$name", name)) as byte[];

    public void PutRecord(string name, byte[] value) =>
        Execute("INSERT INTO records (name, value) VALUES ($name, $value) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            ("$name", name), ("$value", value));

    public void DeleteRecord(string name) => Execute("DELETE FROM records WHERE name = $name", ("$name", name));

    /// <summary>Every record whose name starts with <paramref name="prefix"/>, by name.</summary>
    public List<(string Name, byte[] Value)> Records(string prefix)
    {
        using SqliteCommand command = Command("SELECT name, value FROM records WHERE substr(name, 1, length($prefix)) = $prefix ORDER BY name",
            ("$prefix", prefix));
        using SqliteDataReader reader = command.ExecuteReader();
        List<(string, byte[])> rows = [];
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), (byte[])reader.GetValue(1)));
        }
        return rows;
    }

    public void DeleteRecords(string prefix) =>
        Execute("DELETE FROM records WHERE substr(name, 1, length($prefix)) = $prefix", ("$prefix", prefix));

    public (string VaultId, byte[] Value)? Item(string itemId)
    {
        using SqliteCommand command = Command("SELECT vault_id, value FROM items WHERE item_id = $id", ("$id", itemId));
        using SqliteDataReader reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), (byte[])reader.GetValue(1)) : null;
    }

    public void PutItem(string itemId, string vaultId, byte[] value) =>
        Execute("""
            INSERT INTO items (item_id, vault_id, value) VALUES ($id, $vault, $value)
            ON CONFLICT (item_id) DO UPDATE SET vault_id = excluded.vault_id, value = excluded.value
            """, ("$id", itemId), ("$vault", vaultId), ("$value", value));

    public void DeleteItem(string itemId) => Execute("DELETE FROM items WHERE item_id = $id", ("$id", itemId));

    public void DeleteItemsOf(string vaultId) => Execute("DELETE FROM items WHERE vault_id = $vault", ("$vault", vaultId));

    public void DeleteAllItems() => Execute("DELETE FROM items");

    public int CountItems(string vaultId) =>
        Convert.ToInt32(Scalar("SELECT count(*) FROM items WHERE vault_id = $vault", ("$vault", vaultId)), System.Globalization.CultureInfo.InvariantCulture);

    public List<string> ItemIdsOf(string vaultId)
    {
        using SqliteCommand command = Command("SELECT item_id FROM items WHERE vault_id = $vault", ("$vault", vaultId));
        using SqliteDataReader reader = command.ExecuteReader();
        List<string> ids = [];
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>Every item row of a vault (read as the caller goes).</summary>
    public IEnumerable<(string ItemId, byte[] Value)> ItemsOf(string vaultId)
    {
        using SqliteCommand command = Command("SELECT item_id, value FROM items WHERE vault_id = $vault", ("$vault", vaultId));
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return (reader.GetString(0), (byte[])reader.GetValue(1));
        }
    }

    /// <summary>The vault ids that have item rows.</summary>
    public List<string> VaultsWithItems()
    {
        using SqliteCommand command = Command("SELECT DISTINCT vault_id FROM items");
        using SqliteDataReader reader = command.ExecuteReader();
        List<string> ids = [];
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    public void Dispose()
    {
        _transaction?.Dispose();
        _transaction = null;
        _connection.Dispose();
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, parameters);
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using SqliteCommand command = Command(sql, parameters);
        return command.ExecuteScalar();
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = _transaction;
        foreach ((string name, object value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }

    private static void PrepareDirectory(string directory, bool create)
    {
        if (!Directory.Exists(directory))
        {
            if (!create)
            {
                throw new LocalCacheException(LocalCacheFailure.Missing, "There is no local cache on this device yet: sign in online once to make it.");
            }
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, PrivateDirectory);
            }
            return;
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(directory) & GroupOrOther) != 0)
        {
            throw new LocalCacheException(LocalCacheFailure.Insecure,
                "The local cache's directory can be entered by other users; give the cache a directory only you can use (mode 0700).");
        }
    }

    private static void CreatePrivateFile(string path)
    {
        FileStreamOptions options = new() { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }
        using FileStream _ = new(path, options);
    }

    private static void MakePrivate(string path)
    {
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) != PrivateFile)
        {
            File.SetUnixFileMode(path, PrivateFile);
        }
    }

    /// <summary>A transaction held across awaits; <see cref="Commit"/> or dispose to roll back.</summary>
    public sealed class Transaction(CacheFile file) : IDisposable
    {
        private bool _done;

        public void Commit()
        {
            file._transaction!.Commit();
            Dispose();
        }

        public void Dispose()
        {
            if (_done)
            {
                return;
            }
            _done = true;
            file._transaction?.Dispose();
            file._transaction = null;
        }
    }
}
