using Microsoft.Data.Sqlite;

namespace Coffer.Server.Features.Operations;

/// <summary>File-level steps shared by <c>backup</c> and <c>restore</c> on SQLite: private files, unpooled connections.</summary>
internal static class SqliteFiles
{
    /// <summary>A connection of its own (no pool), so closing it really closes the file.</summary>
    public static async Task<SqliteConnection> OpenAsync(string path, CancellationToken ct)
    {
        SqliteConnection connection = new(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString());
        try
        {
            await connection.OpenAsync(ct);
            await ExecAsync(connection, "PRAGMA busy_timeout = 5000", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public static async Task ExecAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        object? value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    public static async Task<bool> HasTableAsync(SqliteConnection connection, string table, CancellationToken ct)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return (long)(await command.ExecuteScalarAsync(ct))! > 0;
    }

    /// <summary>
    /// Makes the file stand alone: folds its write-ahead log in and switches it to a rollback journal, so it can be
    /// copied or moved as one file (the server switches it back to WAL when it opens it).
    /// </summary>
    public static async Task DetachJournalAsync(string path, CancellationToken ct)
    {
        await using SqliteConnection connection = await OpenAsync(path, ct);
        await ExecAsync(connection, "PRAGMA journal_mode = DELETE", ct);
    }

    /// <summary>Creates an empty file readable by the owner only (0600); fails if it exists.</summary>
    public static FileStream CreatePrivate(string path)
    {
        FileStreamOptions options = new() { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return new FileStream(path, options);
    }

    /// <summary>Copies into a new 0600 file and flushes it to disk.</summary>
    public static async Task CopyPrivateAsync(string from, string to, CancellationToken ct)
    {
        await using FileStream source = new(from, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        await using FileStream target = CreatePrivate(to);
        await source.CopyToAsync(target, ct);
        target.Flush(flushToDisk: true);
    }

    /// <summary>Flushes a file's data to disk.</summary>
    public static void Sync(string path)
    {
        using FileStream file = new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Deletes a database file's companions (-wal, -shm, -journal) and, if asked, the file itself; ignores what is missing.</summary>
    public static void DeleteWithCompanions(string path, bool includingFile)
    {
        foreach (string suffix in (string[])["-wal", "-shm", "-journal"])
        {
            File.Delete(path + suffix);
        }
        if (includingFile)
        {
            File.Delete(path);
        }
    }
}
