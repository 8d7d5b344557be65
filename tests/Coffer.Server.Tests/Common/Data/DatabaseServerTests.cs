using System.Data.Common;
using System.Net;
using Coffer.Server.Common.Data;
using Coffer.Server.Common.Data.Migrations;
using Dapper;

namespace Coffer.Server.Tests.Common.Data;

/// <summary>The database as the real server uses it: configuration, migrations at start-up, readiness.</summary>
public class DatabaseServerTests
{
    [Theory, BothEngines]
    public async Task HealthReady_DatabaseAnswers_Returns200(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        await using ServerHost server = await ServerHost.StartAsync(db.ServerSettings);

        HttpResponseMessage ready = await server.Client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal(engine.ToDatabaseEngine(), server.Services.GetRequiredService<IDatabase>().Engine);
    }

    [Fact]
    public async Task HealthReady_DatabaseGone_Returns503WhileLiveStays200()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Postgres, migrate: false);
        await using ServerHost server = await ServerHost.StartAsync(db.ServerSettings);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/ready")).StatusCode);

        await db.DropPostgresDatabaseAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await server.Client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/health/live")).StatusCode);
    }

    [Theory, BothEngines]
    public async Task Start_EmptyDatabase_IsMigratedBeforeListeningAndAgainIsUntouched(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        int known = Migration.For(engine.ToDatabaseEngine()).Count;

        await using (ServerHost first = await ServerHost.StartAsync(db.ServerSettings))
        {
            Assert.Equal(known, (await MigrationRunnerTests.AppliedAsync(db.Database)).Count);
        }
        List<AppliedMigration> before = await MigrationRunnerTests.AppliedAsync(db.Database);
        await using ServerHost second = await ServerHost.StartAsync(db.ServerSettings);

        Assert.Equal(HttpStatusCode.OK, (await second.Client.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(before.Select(r => (r.Version, r.Checksum)), (await MigrationRunnerTests.AppliedAsync(db.Database)).Select(r => (r.Version, r.Checksum)));
    }

    [Theory, BothEngines]
    public async Task Start_DatabaseFromANewerServer_RefusesToStart(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        await using (DbConnection connection = await db.Database.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (9999, 'from_the_future', 1, 'x')");
        }

        MigrationException e = await Assert.ThrowsAsync<MigrationException>(() => ServerHost.StartAsync(db.ServerSettings));
        Assert.Contains("9999_from_the_future", e.Message, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task Start_AppliedMigrationChanged_RefusesToStart(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        await using (DbConnection connection = await db.Database.OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1");
        }

        MigrationException e = await Assert.ThrowsAsync<MigrationException>(() => ServerHost.StartAsync(db.ServerSettings));
        Assert.Contains("0001_initial", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DefaultSettings_CreatesTheSqliteFileInTheDataDirectory()
    {
        await using ServerHost server = await ServerHost.StartAsync();
        SqliteDatabase database = Assert.IsType<SqliteDatabase>(server.Services.GetRequiredService<IDatabase>());
        string dataDirectory = server.Services.GetRequiredService<IConfiguration>()["Coffer:DataDirectory"]!;
        Assert.Equal(Path.GetFullPath(Path.Combine(dataDirectory, "coffer.db")), database.FilePath);
        Assert.True(File.Exists(database.FilePath));
    }

    [Theory]
    [InlineData("mysql", null, "Coffer:Database:Provider")]
    [InlineData("postgres", null, "Coffer:Database:ConnectionString is empty")]
    [InlineData("postgres", "Host=127.0.0.1;Password=hunter2;NoSuchKeyword=1", "not a valid Npgsql connection string")]
    public void Build_WrongDatabaseSettings_AreRefusedSayingWhich(string provider, string? connectionString, string expected)
    {
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => CofferServer.Build([], b => b.Configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["Coffer:Database:Provider"] = provider, ["Coffer:Database:ConnectionString"] = connectionString })));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }
}
