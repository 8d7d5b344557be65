using System.Globalization;
using Coffer.Contracts;
using Coffer.Contracts.Common;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Operations;
using Coffer.Server.Features.Setup;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Microsoft.Data.Sqlite;

namespace Coffer.Server.Tests.Features.Operations;

/// <summary>
/// <c>coffer-server backup</c> and <c>restore</c> against a server of this process (the real process end to end is in
/// EndToEnd/BackupRestoreTests): the restore epoch (docs/adr/0013-restore-epoch.md), refusing while a server runs,
/// and refusing anything but a Coffer database this server can run.
/// </summary>
public sealed class RestoreTests : IAsyncDisposable
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "coffer-ops-" + Guid.NewGuid().ToString("N"));

    [Theory, BothEngines]
    public async Task MarkRestored_RefusedWhileAServerRuns_ThenRaisesTheEpoch_EndsSessions_AndIsInTheVerifiableLog(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        // One address for both runs, so the session signed in before the restore can try the server after it.
        int port = ServerProcess.FreePort();
        using CofferConnection connection = new(new Uri($"http://127.0.0.1:{port}"));
        SignInResult signIn;
        await using (ServerHost server = await StartAsync(db, port))
        {
            await SetUpAsync(server);
            signIn = await SignIn.SignInAsync(connection, TestOrganisation.OwnerEmail, TestOrganisation.Password, TestOrganisation.Setup.SecretKey,
                "0190a1b2-0000-7000-8000-00000000d001", new Contracts.Auth.DeviceInfoDto("Test laptop", "linux-cli", "0.1.0"), TestOrganisation.Policy);

            (int refused, string why) = await RunAsync(db, "restore", RestoreCommand.MarkRestoredFlag);
            Assert.Equal(2, refused);
            Assert.Contains("running", why, StringComparison.Ordinal);
        }

        (int exit, string report) = await RunAsync(db, "restore", RestoreCommand.MarkRestoredFlag);
        Assert.True(exit == 0, report);
        Assert.Contains("restore epoch is now 1", report, StringComparison.Ordinal);

        await using (ServerHost server = await StartAsync(db, port))
        {
            MetaResponse meta = await GetMetaAsync(server);
            Assert.Equal(1, meta.RestoreEpoch);
            Assert.NotNull(meta.RestoredAt);
            Assert.Null(meta.BackupTakenAt);

            // The session signed in before the restore has ended.
            using (signIn)
            {
                await Assert.ThrowsAsync<CofferSessionExpiredException>(() =>
                    signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
            }

            AuditStore store = new(db.Database);
            AuditEventRow restore = Assert.Single(await store.EventsAsync(0, 100, CancellationToken.None), e => e.Action == AuditActions.ServerRestore);
            Assert.Equal(AuditEntry.DetailsOf(("epoch", 1L), ("sessionsEnded", 1L)), restore.Details);
            AuditVerifyReport verified = await new AuditVerifier(store).VerifyAsync(
                server.Services.GetRequiredService<AuditLog>().Key.PublicKey.ExportSpki(), CancellationToken.None);
            Assert.True(verified.Intact, verified.Message);
        }

        (exit, report) = await RunAsync(db, "restore", RestoreCommand.MarkRestoredFlag);
        Assert.True(exit == 0, report);
        Assert.Contains("restore epoch is now 2", report, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task Start_WhileARestoreHoldsTheDatabase_IsRefused(Engine engine)
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(engine);
        await using IDatabase other = db.OpenAnother();
        await using (ServerLock? restoring = await ServerLock.TryAcquireAsync(other, exclusive: true, CancellationToken.None))
        {
            Assert.NotNull(restoring);
            DatabaseInUseException e = await Assert.ThrowsAsync<DatabaseInUseException>(() => StartAsync(db));
            Assert.Contains("restore is running", e.Message, StringComparison.Ordinal);
        }
        await using ServerHost started = await StartAsync(db);
        Assert.Equal(0, (await GetMetaAsync(started)).RestoreEpoch);
    }

    [Fact]
    public async Task Restore_AnythingButACofferBackupThisServerCanRun_IsRefused_AndTheDatabaseIsUntouched()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Sqlite, migrate: false);
        string backup = Path.Combine(_dataDirectory, "good.db");
        await using (ServerHost server = await StartAsync(db))
        {
            await SetUpAsync(server);
            // A checkpoint in the backup, so its signing key can be compared with this data directory's.
            Assert.NotNull(await server.Services.GetRequiredService<AuditLog>().CheckpointAsync(CancellationToken.None));
            (int made, string output) = await RunAsync(db, "backup", backup);
            Assert.True(made == 0, output);
        }
        byte[] before = await File.ReadAllBytesAsync(db.SqlitePath);

        string junk = Path.Combine(_dataDirectory, "junk.db");
        await File.WriteAllBytesAsync(junk, new byte[8192]);
        await AssertRefusedAsync(db, junk, "not a SQLite database");

        string foreign = Path.Combine(_dataDirectory, "foreign.db");
        await ExecAsync(foreign, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)");
        await AssertRefusedAsync(db, foreign, "not a Coffer one");

        string newer = Path.Combine(_dataDirectory, "newer.db");
        File.Copy(backup, newer);
        await ExecAsync(newer, "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (9999, 'from_the_future', 1, 'x')");
        await AssertRefusedAsync(db, newer, "9999_from_the_future");

        string beforeSetup = Path.Combine(_dataDirectory, "empty.db");
        File.Copy(backup, beforeSetup);
        await ExecAsync(beforeSetup, "PRAGMA foreign_keys = OFF; DELETE FROM organisations");
        await AssertRefusedAsync(db, beforeSetup, "no organisation");

        string otherKeyDirectory = Path.Combine(_dataDirectory, "other");
        AuditKey.LoadOrCreate(otherKeyDirectory).Dispose();
        (int exit, string why) = await RunInAsync(db, otherKeyDirectory, "restore", backup);
        Assert.Equal(2, exit);
        Assert.Contains("another audit key", why, StringComparison.Ordinal);

        (exit, why) = await RunInAsync(db, Path.Combine(_dataDirectory, "nowhere"), "restore", backup);
        Assert.Equal(2, exit);
        Assert.Contains("no audit key", why, StringComparison.Ordinal);

        Assert.Equal(before, await File.ReadAllBytesAsync(db.SqlitePath));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(db.SqlitePath)!, "*.restoring-*"));
    }

    [Fact]
    public async Task Backup_IsPrivate_StampedAndNeverOverwrites()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Sqlite, migrate: false);
        string backup = Path.Combine(_dataDirectory, "coffer-backup.db");
        await using ServerHost server = await StartAsync(db);
        await SetUpAsync(server);

        (int exit, string output) = await RunAsync(db, "backup", backup);

        Assert.True(exit == 0, output);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
        }
        Assert.Equal(["coffer-backup.db"], Directory.GetFiles(_dataDirectory, "*coffer-backup*").Select(Path.GetFileName));
        await using (SqliteConnection copy = await SqliteFiles.OpenAsync(backup, CancellationToken.None))
        {
            Assert.Equal("delete", await SqliteFiles.ScalarAsync(copy, "PRAGMA journal_mode", CancellationToken.None));
            long takenAt = (long)(await SqliteFiles.ScalarAsync(copy, "SELECT taken_at FROM backup_stamp", CancellationToken.None))!;
            Assert.InRange(takenAt, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            Assert.Equal(1L, await SqliteFiles.ScalarAsync(copy, "SELECT count(*) FROM organisations", CancellationToken.None));
        }
        // The live database never carries a stamp.
        await using (SqliteConnection live = await SqliteFiles.OpenAsync(db.SqlitePath, CancellationToken.None))
        {
            Assert.Equal(0L, await SqliteFiles.ScalarAsync(live, "SELECT count(*) FROM backup_stamp", CancellationToken.None));
        }

        (exit, output) = await RunAsync(db, "backup", backup);
        Assert.Equal(2, exit);
        Assert.Contains("never overwrites", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BackupAndRestoreOfAFile_OnPostgres_ExplainPgDumpAndPgRestore()
    {
        await using TestDatabase db = await TestDatabase.CreateAsync(Engine.Postgres);
        AuditKey.LoadOrCreate(_dataDirectory).Dispose();

        (int exit, string output) = await RunAsync(db, "backup", Path.Combine(_dataDirectory, "x.db"));
        Assert.Equal(2, exit);
        Assert.Contains("pg_dump", output, StringComparison.Ordinal);

        (exit, output) = await RunAsync(db, "restore", Path.Combine(_dataDirectory, "x.db"));
        Assert.Equal(2, exit);
        Assert.Contains("pg_restore", output, StringComparison.Ordinal);
        Assert.Contains(RestoreCommand.MarkRestoredFlag, output, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        return ValueTask.CompletedTask;
    }

    private Task<ServerHost> StartAsync(TestDatabase db, int port = 0)
    {
        Dictionary<string, string?> settings = db.ServerSettings;
        settings["urls"] = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        settings["Coffer:DataDirectory"] = _dataDirectory;
        settings["Coffer:MinimumKdfIterations"] = TestOrganisation.Iterations.ToString(CultureInfo.InvariantCulture);
        return ServerHost.StartAsync(settings);
    }

    private static async Task SetUpAsync(ServerHost server)
    {
        SetupLink link = server.Services.GetRequiredService<SetupLink>();
        for (int i = 0; i < 100 && link.Url is null; i++)
        {
            await Task.Delay(50);
        }
        string url = link.Url ?? throw new InvalidOperationException("The server printed no setup link.");
        using CofferConnection connection = new(server.Address);
        await connection.PostAsync("/api/v1/setup", TestOrganisation.Setup.Request with { Token = url[(url.IndexOf("#token=", StringComparison.Ordinal) + 7)..] },
            Json.SetupRequest, Json.SetupResponse);
    }

    private static async Task<MetaResponse> GetMetaAsync(ServerHost server)
    {
        using CofferConnection connection = new(server.Address);
        return await connection.GetAsync("/api/v1/meta", Json.MetaResponse);
    }

    private Task<(int Exit, string Output)> RunAsync(TestDatabase db, params string[] command) => RunInAsync(db, _dataDirectory, command);

    private static async Task<(int Exit, string Output)> RunInAsync(TestDatabase db, string dataDirectory, params string[] command)
    {
        string[] args = [.. command, "--Coffer:DataDirectory=" + dataDirectory, .. db.ServerSettings.Select(s => $"--{s.Key}={s.Value}")];
        using StringWriter output = new();
        int exit = command[0] == "backup"
            ? await BackupCommand.RunAsync(args, output, output, TimeProvider.System)
            : await RestoreCommand.RunAsync(args, output, output, TimeProvider.System);
        return (exit, output.ToString());
    }

    private async Task AssertRefusedAsync(TestDatabase db, string file, string why)
    {
        (int exit, string output) = await RunAsync(db, "restore", file);
        Assert.Equal(2, exit);
        Assert.Contains(why, output, StringComparison.Ordinal);
    }

    private static async Task ExecAsync(string path, string sql)
    {
        await using SqliteConnection c = new(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await c.OpenAsync();
        await using SqliteCommand command = c.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
