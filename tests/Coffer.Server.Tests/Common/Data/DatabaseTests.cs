using System.Data.Common;
using System.Runtime.Versioning;
using Coffer.Server.Common.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Coffer.Server.Tests.Common.Data;

public class DatabaseTests
{
    private const string CreateScratch = "CREATE TABLE scratch (name TEXT NOT NULL PRIMARY KEY, n BIGINT NOT NULL)";

    [Theory, BothEngines]
    public async Task InTransactionAsync_WorkCompletes_CommitsAndReturnsItsResult(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        await ExecuteAsync(db.Database, CreateScratch);

        int inserted = await db.Database.InTransactionAsync((c, tx) =>
            c.ExecuteAsync("INSERT INTO scratch (name, n) VALUES ('a', 1), ('b', 2)", transaction: tx), CancellationToken.None);

        Assert.Equal(2, inserted);
        Assert.Equal(3, await ScalarAsync<long>(db.Database, "SELECT sum(n) FROM scratch"));
    }

    [Theory, BothEngines]
    public async Task InTransactionAsync_WorkThrowsAfterWriting_RollsEverythingBack(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        await ExecuteAsync(db.Database, CreateScratch);

        await Assert.ThrowsAsync<InvalidOperationException>(() => db.Database.InTransactionAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("INSERT INTO scratch (name, n) VALUES ('a', 1)", transaction: tx);
            Assert.Equal(1, await c.ExecuteScalarAsync<long>("SELECT count(*) FROM scratch", transaction: tx));
            throw new InvalidOperationException("the unit of work failed");
        }, CancellationToken.None));

        Assert.Equal(0, await ScalarAsync<long>(db.Database, "SELECT count(*) FROM scratch"));
    }

    [Fact]
    public async Task Sqlite_ConnectionsFromThePool_HaveWalFullSyncForeignKeysAndBusyTimeout()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Sqlite, migrate: false);
        // Several rounds, several connections open at once: fresh handles and handles returned to the pool.
        for (int round = 0; round < 3; round++)
        {
            List<DbConnection> open = [];
            try
            {
                for (int i = 0; i < 4; i++)
                {
                    DbConnection connection = await db.Database.OpenAsync(CancellationToken.None);
                    open.Add(connection);
                    Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
                    Assert.Equal(2, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous"));   // FULL
                    Assert.Equal(1, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
                    Assert.Equal(SqliteDatabase.BusyTimeoutMilliseconds, await connection.ExecuteScalarAsync<long>("PRAGMA busy_timeout"));
                }
            }
            finally
            {
                foreach (DbConnection connection in open)
                {
                    await connection.DisposeAsync();
                }
            }
        }
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Sqlite_File_IsPrivateToTheServerUser()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Sqlite);
        await ExecuteAsync(db.Database, "INSERT INTO server_keys (name, value, created_at) VALUES ('k', x'00', 1)");

        UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(db.SqlitePath)!));
        Assert.Equal(owner, File.GetUnixFileMode(db.SqlitePath));
        Assert.Equal(owner, File.GetUnixFileMode(db.SqlitePath + "-wal"));
    }

    [Fact]
    public async Task Sqlite_InTransaction_HoldsTheWriteLockFromBegin()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Sqlite, migrate: false);
        await db.Database.InTransactionAsync(async (c, tx) =>
        {
            // Nothing written yet: only BEGIN IMMEDIATE explains another writer being shut out.
            await c.ExecuteScalarAsync<long>("SELECT 1", transaction: tx);
            await using SqliteConnection other = new($"Data Source={db.SqlitePath};Pooling=False");
            await other.OpenAsync();
            await other.ExecuteAsync("PRAGMA busy_timeout = 0");
            SqliteException e = await Assert.ThrowsAsync<SqliteException>(
                () => other.ExecuteAsync(new CommandDefinition("BEGIN IMMEDIATE", commandTimeout: 1)));
            Assert.Equal(5, e.SqliteErrorCode);   // SQLITE_BUSY
        }, CancellationToken.None);
    }

    [Fact]
    public async Task Sqlite_ConcurrentReadThenWriteTransactions_QueueInsteadOfFailing()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Sqlite, migrate: false);
        await ExecuteAsync(db.Database, CreateScratch);
        await ExecuteAsync(db.Database, "INSERT INTO scratch (name, n) VALUES ('counter', 0)");
        const int writers = 8;

        // Deferred transactions would read the same snapshot and then fail with SQLITE_BUSY on the write.
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(() => db.Database.InTransactionAsync(async (c, tx) =>
        {
            long n = await c.ExecuteScalarAsync<long>("SELECT n FROM scratch WHERE name = 'counter'", transaction: tx);
            await Task.Yield();
            await c.ExecuteAsync("UPDATE scratch SET n = @n WHERE name = 'counter'", new { n = n + 1 }, tx);
        }, CancellationToken.None))));

        Assert.Equal(writers, await ScalarAsync<long>(db.Database, "SELECT n FROM scratch WHERE name = 'counter'"));
    }

    [Fact]
    public async Task Postgres_InTransaction_IsReadCommitted()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Postgres, migrate: false);
        string? level = await db.Database.InTransactionAsync(
            (c, tx) => c.ExecuteScalarAsync<string>("SHOW transaction_isolation", transaction: tx), CancellationToken.None);
        Assert.Equal("read committed", level);
    }

    internal static async Task ExecuteAsync(IDatabase database, string sql, object? parameters = null)
    {
        await using DbConnection connection = await database.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(sql, parameters);
    }

    private static async Task<T?> ScalarAsync<T>(IDatabase database, string sql)
    {
        await using DbConnection connection = await database.OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<T>(sql);
    }
}
