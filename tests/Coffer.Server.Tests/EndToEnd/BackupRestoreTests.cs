using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Common;
using Coffer.Contracts.Vaults;
using Coffer.Crypto.Provenance;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;
using Coffer.Sdk.Restores;
using Coffer.Sdk.Vaults;
using Coffer.Server.Tests.Common;

namespace Coffer.Server.Tests.EndToEnd;

/// <summary>
/// Backup and restore as an operator does them, on SQLite: <c>coffer-server backup</c> while the server process runs and
/// writes, <c>coffer-server restore</c> refused while it runs and done once it is down (killed, so the restore also copes
/// with a server that never shut down cleanly), then the server again: the earlier items are there, the later ones not,
/// the restore epoch is one higher, a client is told before it takes the older versions, and the activity log verifies.
/// </summary>
public class BackupRestoreTests
{
    // The Owner's authenticator app for these servers (docs/adr/0022); each new organisation enrols it again.
    private static readonly Coffer.Sdk.Mfa.TotpAuthenticator Authenticator = new();

    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Fact]
    public async Task BackupWhileRunning_RestoreAfterStop_BringsBackWhatTheBackupHeld_RaisesTheEpoch_AndTheLogVerifies()
    {
        string data = Path.Combine(Path.GetTempPath(), "coffer-backup-" + Guid.NewGuid().ToString("N"));
        string backups = Path.Combine(Path.GetTempPath(), "coffer-backups-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(backups);
        string backup = Path.Combine(backups, "coffer-1.db");
        int port = ServerProcess.FreePort();
        Pins pins = new();
        string vaultId;
        List<string> before = [];
        List<string> after = [];
        try
        {
            using (ServerProcess server = await ServerProcess.StartAsync(data, port))
            {
                string token = await server.SetupTokenAsync();
                using (CofferConnection setup = new(server.Address))
                {
                    await setup.PostAsync("/api/v1/setup", TestOrganisation.Setup.Request with { Token = token }, Json.SetupRequest, Json.SetupResponse);
                }
                await using Owner owner = await Owner.SignInAsync(server.Address);
                Assert.Equal(0, (await RestoreEpochCheck.CheckAsync(owner.Connection, pins)).RestoreEpoch);
                vaultId = (await owner.Vaults.CreateVaultAsync("shared", "Supplier portals")).Id;
                for (int i = 0; i < 3; i++)
                {
                    before.Add(Observe(pins, await owner.Vaults.CreateItemAsync(vaultId, Utf8("{\"v\":1,\"title\":\"before\"}"), Utf8("{\"v\":1}"))));
                }

                (int exit, string output) = await ServerProcess.RunCommandAsync(ServerProcess.Command(data, "backup", backup));
                Assert.True(exit == 0, output);
                Assert.Contains("audit-key.p8", output, StringComparison.Ordinal);   // the keys the backup does not hold, named
                Assert.Contains("mfa-key.bin", output, StringComparison.Ordinal);
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup));
                }

                Observe(pins, await owner.Vaults.UpdateItemAsync(vaultId, before[0], 1, Utf8("{\"v\":1,\"title\":\"changed\"}"), Utf8("{\"v\":1}")));
                for (int i = 0; i < 2; i++)
                {
                    after.Add(Observe(pins, await owner.Vaults.CreateItemAsync(vaultId, Utf8("{\"v\":1,\"title\":\"after\"}"), Utf8("{\"v\":1}"))));
                }
                Assert.Equal(2, (await owner.Vaults.RotateAsync(vaultId)).KeySerial);

                (exit, output) = await ServerProcess.RunCommandAsync(ServerProcess.Command(data, "restore", backup));
                Assert.Equal(2, exit);
                Assert.Contains("running", output, StringComparison.Ordinal);
            }

            (int restored, string report) = await ServerProcess.RunCommandAsync(ServerProcess.Command(data, "restore", backup));
            Assert.True(restored == 0, report);
            Assert.Contains("restore epoch is now 1", report, StringComparison.Ordinal);
            Assert.Contains(".replaced-", report, StringComparison.Ordinal);
            // What the restore undid that matters to security is named, to be done again.
            Assert.Contains($"vault {vaultId} key rotation to serial 2 (back at 1", report, StringComparison.Ordinal);

            using (ServerProcess server = await ServerProcess.StartAsync(data, port))
            {
                await using Owner owner = await Owner.SignInAsync(server.Address);
                MetaResponse meta = await owner.Connection.GetAsync("/api/v1/meta", Json.MetaResponse);
                Assert.Equal(1, meta.RestoreEpoch);
                Assert.NotNull(meta.BackupTakenAt);
                Assert.True(meta.RestoredAt > meta.BackupTakenAt);

                // The client stops at the higher epoch and says so; the older version counts as a rollback until acknowledged.
                ServerRestoredException told = await Assert.ThrowsAsync<ServerRestoredException>(() => RestoreEpochCheck.CheckAsync(owner.Connection, pins));
                Assert.Contains("restored from a backup taken", told.Message, StringComparison.Ordinal);
                ItemListResponse items = await owner.Vaults.ListItemsAsync(vaultId);
                Assert.Equal(before.Order(StringComparer.Ordinal), items.Items.Select(i => i.Id).Order(StringComparer.Ordinal));
                ItemDto first = items.Items.Single(i => i.Id == before[0]);
                Assert.Equal(1, first.Version);
                Assert.Equal(PinCheck.Conflict, pins.ObserveItemVersion(first.Id, first.Version));

                RestoreEpochCheck.Acknowledge(pins, told);
                Assert.Equal(PinCheck.New, pins.ObserveItemVersion(first.Id, first.Version));
                await RestoreEpochCheck.CheckAsync(owner.Connection, pins);
                OpenedItem opened = await owner.Vaults.GetItemAsync(vaultId, first.Id);
                Assert.Contains("before", Encoding.UTF8.GetString(opened.Overview), StringComparison.Ordinal);
                Assert.All(after, id => Assert.DoesNotContain(id, items.Items.Select(i => i.Id)));

                AuditEventsResponse log = await owner.SignIn.Session.SendAsync(HttpMethod.Get, "/api/v1/audit/events?after=0&limit=500", Json.AuditEventsResponse);
                AuditEventDto restore = Assert.Single(log.Events, e => e.Action == "server.restore");
                Assert.Contains("\"epoch\":1", restore.Details, StringComparison.Ordinal);
            }

            (int verified, string verifyReport) = await ServerProcess.RunCommandAsync(ServerProcess.Command(data, "audit", "verify"));
            Assert.True(verified == 0, "audit verify failed:\n" + verifyReport);
        }
        finally
        {
            foreach (string directory in (string[])[data, backups])
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Observe(Pins pins, ItemDto item)
    {
        Assert.NotEqual(PinCheck.Conflict, pins.ObserveItemVersion(item.Id, item.Version));
        return item.Id;
    }

    /// <summary>The first Owner, signed in and unlocked, with a vault client.</summary>
    private sealed class Owner : IAsyncDisposable
    {
        private readonly UnlockedAccount _account;

        private Owner(CofferConnection connection, SignInResult signIn, UnlockedAccount account)
        {
            Connection = connection;
            SignIn = signIn;
            _account = account;
            Vaults = new VaultClient(signIn.Session, account);
        }

        public CofferConnection Connection { get; }

        public SignInResult SignIn { get; }

        public VaultClient Vaults { get; }

        public static async Task<Owner> SignInAsync(Uri address)
        {
            CofferConnection connection = new(address);
            SignInResult signIn = await TestOrganisation.SignInWithFactorAsync(Authenticator, () => Sdk.Auth.SignIn.SignInAsync(connection, TestOrganisation.OwnerEmail, TestOrganisation.Password,
                TestOrganisation.Setup.SecretKey, "0190a1b2-0000-7000-8000-00000000d001", new Contracts.Auth.DeviceInfoDto("backup test", "linux-cli", "0.1.0"),
                TestOrganisation.Policy));
            UnlockedAccount account = await TestOrganisation.UnlockAsync(signIn, TestOrganisation.Setup.Account);
            return new Owner(connection, signIn, account);
        }

        public ValueTask DisposeAsync()
        {
            Vaults.Dispose();
            _account.Dispose();
            SignIn.Session.Dispose();
            SignIn.Dispose();
            Connection.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
