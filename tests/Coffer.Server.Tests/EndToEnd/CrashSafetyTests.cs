using System.Collections.Concurrent;
using System.Text;
using Coffer.Contracts;
using Coffer.Contracts.Vaults;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Http;
using Coffer.Sdk.Vaults;
using Coffer.Server.Tests.Common;

namespace Coffer.Server.Tests.EndToEnd;

/// <summary>
/// The server as a real process on SQLite, several clients writing, SIGKILL mid-flight several times,
/// restart: every write the server acknowledged is there, and `coffer-server audit verify` passes.
/// </summary>
public class CrashSafetyTests
{
    // The Owner's authenticator app for these servers (docs/adr/0022); each new organisation enrols it again.
    private static readonly Coffer.Sdk.Mfa.TotpAuthenticator Authenticator = new();

    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Fact]
    public async Task KillNineMidFlight_EveryAcknowledgedWriteSurvives_AndTheActivityLogVerifies()
    {
        string data = Path.Combine(Path.GetTempPath(), "coffer-crash-" + Guid.NewGuid().ToString("N"));
        int port = ServerProcess.FreePort();
        ConcurrentBag<string> acknowledged = [];
        string vaultId;
        try
        {
            using (ServerProcess first = await ServerProcess.StartAsync(data, port))
            {
                string token = await first.SetupTokenAsync();
                using CofferConnection setup = new(first.Address);
                await setup.PostAsync("/api/v1/setup", TestOrganisation.Setup.Request with { Token = token }, Json.SetupRequest, Json.SetupResponse);
                await using Client owner = await Client.SignInAsync(first.Address);
                vaultId = (await owner.Vaults.CreateVaultAsync("shared", "Crash test")).Id;
            }

            for (int round = 0; round < 3; round++)
            {
                using ServerProcess server = await ServerProcess.StartAsync(data, port);
                List<Client> clients = [];
                for (int i = 0; i < 3; i++)
                {
                    clients.Add(await Client.SignInAsync(server.Address));
                }
                using CancellationTokenSource stop = new();
                Task[] writers = [.. clients.Select(c => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            ItemDto item = await c.Vaults.CreateItemAsync(vaultId, Encoding.UTF8.GetBytes("{\"v\":1,\"title\":\"x\"}"), Encoding.UTF8.GetBytes("{\"v\":1}"));
                            acknowledged.Add(item.Id);
                        }
                        catch (Exception)
                        {
                            return;   // the server died under us: that write was never acknowledged
                        }
                    }
                }))];
                // Let writes flow, then pull the plug while they are in flight.
                int before = acknowledged.Count;
                for (int polls = 0; polls < 3000 && acknowledged.Count < before + 10 + (round * 7); polls++)
                {
                    await Task.Delay(20);
                }
                server.Kill();
                await stop.CancelAsync();
                await Task.WhenAll(writers);
                foreach (Client c in clients)
                {
                    await c.DisposeAsync();
                }
            }

            using (ServerProcess last = await ServerProcess.StartAsync(data, port))
            {
                await using Client reader = await Client.SignInAsync(last.Address);
                ItemListResponse items = await reader.Vaults.ListItemsAsync(vaultId);
                HashSet<string> stored = [.. items.Items.Select(i => i.Id)];
                Assert.True(acknowledged.Count >= 30, "too few writes were acknowledged to mean anything: " + acknowledged.Count);
                Assert.All(acknowledged, id => Assert.Contains(id, stored));
                OpenedItem one = await reader.Vaults.GetItemAsync(vaultId, acknowledged.First());
                Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString(one.Details));
            }

            (int exit, string report) = await ServerProcess.RunCommandAsync(ServerProcess.Command(data, "audit", "verify"));
            Assert.True(exit == 0, "audit verify failed:\n" + report);
        }
        finally
        {
            try
            {
                Directory.Delete(data, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The Owner signed in on one connection, with an unlocked account and a vault client.</summary>
    private sealed class Client : IAsyncDisposable
    {
        private readonly CofferConnection _connection;
        private readonly SignInResult _signIn;
        private readonly UnlockedAccount _account;

        private Client(CofferConnection connection, SignInResult signIn, UnlockedAccount account)
        {
            _connection = connection;
            _signIn = signIn;
            _account = account;
            Vaults = new VaultClient(signIn.Session, account);
        }

        public VaultClient Vaults { get; }

        public static async Task<Client> SignInAsync(Uri address)
        {
            CofferConnection connection = new(address);
            SignInResult signIn = await TestOrganisation.SignInWithFactorAsync(Authenticator, () => SignIn.SignInAsync(connection, TestOrganisation.OwnerEmail, TestOrganisation.Password, TestOrganisation.Setup.SecretKey,
                Guid.CreateVersion7().ToString("D"), new Contracts.Auth.DeviceInfoDto("crash test", "linux-cli", "0.1.0"), TestOrganisation.Policy));
            UnlockedAccount account = await TestOrganisation.UnlockAsync(signIn, TestOrganisation.Setup.Account);
            return new Client(connection, signIn, account);
        }

        public ValueTask DisposeAsync()
        {
            Vaults.Dispose();
            _account.Dispose();
            _signIn.Session.Dispose();
            _signIn.Dispose();
            _connection.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
