using Coffer.Server.Common.Data;
using Coffer.Server.Common.Data.Migrations;
using Coffer.Testing.Databases;

namespace Coffer.Server.Tests.Common.Data;

/// <summary>
/// A fresh database of one engine for one test: a new SQLite file, or a new database on the test PostgreSQL.
/// Migrated unless asked otherwise. <see cref="ServerSettings"/> points a <see cref="ServerHost"/> at the same
/// database. Disposing closes the pool and deletes the file or drops the database.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly SqliteTestFile? _sqliteFile;
    private readonly PostgresTestDatabase? _postgres;

    private TestDatabase(Engine engine, IDatabase database, SqliteTestFile? sqliteFile, PostgresTestDatabase? postgres)
    {
        Engine = engine;
        Database = database;
        _sqliteFile = sqliteFile;
        _postgres = postgres;
    }

    public Engine Engine { get; }

    public IDatabase Database { get; }

    /// <summary>The SQLite file (SQLite only).</summary>
    public string SqlitePath => _sqliteFile?.FilePath ?? throw new InvalidOperationException("Not a SQLite database.");

    /// <summary>Configuration keys that make a server use this database.</summary>
    public Dictionary<string, string?> ServerSettings => new()
    {
        ["Coffer:Database:Provider"] = Engine == Engine.Sqlite ? DatabaseServices.SqliteProvider : DatabaseServices.PostgresProvider,
        ["Coffer:Database:ConnectionString"] = Engine == Engine.Sqlite ? _sqliteFile!.FilePath : _postgres!.ConnectionString,
    };

    public static async Task<TestDatabase> CreateAsync(Engine engine, bool migrate = true)
    {
        TestDatabase db;
        if (engine == Engine.Sqlite)
        {
            SqliteTestFile file = new();
            db = new TestDatabase(engine, new SqliteDatabase(file.FilePath), file, null);
        }
        else
        {
            PostgresTestDatabase postgres = await PostgresCluster.CreateDatabaseAsync();
            db = new TestDatabase(engine, new PostgresDatabase(postgres.ConnectionString), null, postgres);
        }
        if (migrate)
        {
            await MigrationRunner.ApplyAsync(db.Database, logger: null, CancellationToken.None);
        }
        return db;
    }

    /// <summary>A second, independent <see cref="IDatabase"/> over the same database (another process or node).</summary>
    public IDatabase OpenAnother() => Engine == Engine.Sqlite
        ? new SqliteDatabase(_sqliteFile!.FilePath)
        : new PostgresDatabase(_postgres!.ConnectionString);

    /// <summary>Drops the PostgreSQL database under whoever is connected to it, as an outage would take it away.</summary>
    public ValueTask DropPostgresDatabaseAsync() =>
        (_postgres ?? throw new InvalidOperationException("Not a PostgreSQL database.")).DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        _sqliteFile?.Dispose();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
