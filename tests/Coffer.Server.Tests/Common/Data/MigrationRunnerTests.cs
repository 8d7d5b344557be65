using System.Data.Common;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Data.Migrations;
using Dapper;

namespace Coffer.Server.Tests.Common.Data;

public class MigrationRunnerTests
{
    private static readonly Migration CreateA = new(1, "create_a", "CREATE TABLE a (name TEXT NOT NULL PRIMARY KEY);");
    private static readonly Migration CreateB = new(2, "create_b", "CREATE TABLE b (name TEXT NOT NULL PRIMARY KEY);");

    [Theory, BothEngines]
    public async Task ApplyAsync_EmptyDatabase_AppliesEveryMigrationThenNothing(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        IReadOnlyList<Migration> known = Migration.For(engine.ToDatabaseEngine());

        IReadOnlyList<Migration> first = await MigrationRunner.ApplyAsync(db.Database, null, CancellationToken.None);
        IReadOnlyList<Migration> second = await MigrationRunner.ApplyAsync(db.Database, null, CancellationToken.None);

        Assert.Equal(known.Select(m => m.Id), first.Select(m => m.Id));
        Assert.Empty(second);
        List<AppliedMigration> rows = await AppliedAsync(db.Database);
        Assert.Equal(known.Select(m => (long)m.Version), rows.Select(r => r.Version));
        Assert.Equal(known.Select(m => m.Checksum), rows.Select(r => r.Checksum));
    }

    [Theory, BothEngines]
    public async Task ApplyAsync_AppliedMigrationEdited_RefusesNamingIt(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        await MigrationRunner.ApplyAsync(db.Database, [CreateA], null, CancellationToken.None);
        Migration edited = new(1, "create_a", "CREATE TABLE a (name TEXT NOT NULL PRIMARY KEY, extra TEXT);");

        MigrationException e = await Assert.ThrowsAsync<MigrationException>(
            () => MigrationRunner.ApplyAsync(db.Database, [edited, CreateB], null, CancellationToken.None));

        Assert.Contains("0001_create_a", e.Message, StringComparison.Ordinal);
        Assert.Contains("must never be edited", e.Message, StringComparison.Ordinal);
        Assert.False(await TableExistsAsync(db.Database, "b"));
    }

    [Theory, BothEngines]
    public async Task ApplyAsync_DatabaseUpgradedByNewerServer_RefusesNamingTheUnknownVersion(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        await MigrationRunner.ApplyAsync(db.Database, [CreateA, CreateB], null, CancellationToken.None);

        MigrationException e = await Assert.ThrowsAsync<MigrationException>(
            () => MigrationRunner.ApplyAsync(db.Database, [CreateA], null, CancellationToken.None));

        Assert.Contains("0002_create_b", e.Message, StringComparison.Ordinal);
        Assert.Contains("newer server", e.Message, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task ApplyAsync_MigrationFails_LeavesNothingOfItBehind(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        // The first statement succeeds, the second fails: the table must not survive.
        Migration broken = new(2, "broken", "CREATE TABLE b (name TEXT NOT NULL PRIMARY KEY); INSERT INTO no_such_table VALUES (1);");

        MigrationException e = await Assert.ThrowsAsync<MigrationException>(
            () => MigrationRunner.ApplyAsync(db.Database, [CreateA, broken], null, CancellationToken.None));

        Assert.Contains("0002_broken", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<DbException>(e.InnerException);
        Assert.True(await TableExistsAsync(db.Database, "a"));
        Assert.False(await TableExistsAsync(db.Database, "b"));
        Assert.Equal([1L], (await AppliedAsync(db.Database)).Select(r => r.Version));

        // Once fixed, the same database takes it.
        IReadOnlyList<Migration> applied = await MigrationRunner.ApplyAsync(db.Database, [CreateA, CreateB], null, CancellationToken.None);
        Assert.Equal(["0002_create_b"], applied.Select(m => m.Id));
    }

    [Theory, BothEngines]
    public async Task ApplyAsync_SeveralNodesAtOnce_EachMigrationAppliedOnce(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        IDatabase[] nodes = [db.OpenAnother(), db.OpenAnother(), db.OpenAnother()];
        try
        {
            IReadOnlyList<Migration>[] results = await Task.WhenAll(nodes.Select(n => Task.Run(
                () => MigrationRunner.ApplyAsync(n, null, CancellationToken.None))));

            IReadOnlyList<Migration> known = Migration.For(engine.ToDatabaseEngine());
            Assert.Equal(known.Select(m => m.Id).Order(), results.SelectMany(r => r).Select(m => m.Id).Order());
            Assert.Equal(known.Count, (await AppliedAsync(db.Database)).Count);
        }
        finally
        {
            foreach (IDatabase node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    [Fact]
    public void For_BothEngines_HaveTheSameMigrations()
    {
        IReadOnlyList<Migration> sqlite = Migration.For(DatabaseEngine.Sqlite);
        IReadOnlyList<Migration> postgres = Migration.For(DatabaseEngine.Postgres);

        Assert.NotEmpty(sqlite);
        Assert.Equal("0001_initial", sqlite[0].Id);
        Assert.Equal(sqlite.Select(m => m.Id), postgres.Select(m => m.Id));
    }

    [Fact]
    public void Checksum_WindowsLineEndings_AreTheSameMigration()
    {
        Migration lf = new(1, "x", "CREATE TABLE a (n TEXT);\nCREATE TABLE b (n TEXT);\n");
        Migration crlf = new(1, "x", "CREATE TABLE a (n TEXT);\r\nCREATE TABLE b (n TEXT);\r\n");
        Migration changed = new(1, "x", "CREATE TABLE a (n TEXT);\nCREATE TABLE c (n TEXT);\n");

        Assert.Equal(lf.Checksum, crlf.Checksum);
        Assert.NotEqual(lf.Checksum, changed.Checksum);
    }

    [Fact]
    public void CheckSequence_GapOrRepeat_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => Migration.CheckSequence([CreateB]));
        Assert.Throws<InvalidOperationException>(() => Migration.CheckSequence([CreateA, CreateA]));
        Migration.CheckSequence([CreateA, CreateB]);
    }

    internal static async Task<List<AppliedMigration>> AppliedAsync(IDatabase database)
    {
        await using DbConnection connection = await database.OpenAsync(CancellationToken.None);
        return (await connection.QueryAsync<AppliedMigration>(
            "SELECT version AS Version, name AS Name, checksum AS Checksum FROM schema_migrations ORDER BY version")).AsList();
    }

    internal static async Task<bool> TableExistsAsync(IDatabase database, string table)
    {
        await using DbConnection connection = await database.OpenAsync(CancellationToken.None);
        string sql = database.Engine switch
        {
            DatabaseEngine.Sqlite => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @table",
            DatabaseEngine.Postgres => "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @table",
            _ => throw new ArgumentOutOfRangeException(nameof(database)),
        };
        return await connection.ExecuteScalarAsync<long>(sql, new { table }) == 1;
    }
}
