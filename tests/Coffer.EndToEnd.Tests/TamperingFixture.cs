using System.Text.Json;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// An organisation of its own for the tampering tests (they change the server's database and must not disturb other classes):
/// the Owner, Bob and Carol made with the real <c>coffer</c>, a <see cref="TamperingProxy"/> in front of the server and the
/// <see cref="CompromisedServer"/> over its SQLite file.
/// </summary>
public sealed class TamperingFixture : IAsyncLifetime
{
    public OrganisationFixture Org { get; } = new();

    internal TamperingProxy Proxy { get; private set; } = null!;

    internal CompromisedServer Server { get; private set; } = null!;

    internal CliMember Bob { get; private set; } = null!;

    internal CliMember Carol { get; private set; } = null!;

    public string BobSecretKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Org.InitializeAsync();
        Proxy = await TamperingProxy.StartAsync(Org.ServerUrl);
        // Signing in through the proxy presents the same people's codes.
        SecondFactors.Alias(Proxy.Address, Org.ServerUrl);
        Server = new CompromisedServer(Org.DataDirectory);
        Bob = await CliMember.JoinAsync(Org, "bob");
        Carol = await CliMember.JoinAsync(Org, "carol");
        BobSecretKey = SecretKeyOf(Bob.Device);
    }

    /// <summary>The Secret Key from the Emergency Kit a device's <c>accept</c> wrote.</summary>
    internal static string SecretKeyOf(CofferHomeDirectory device) =>
        OrganisationFixture.KitLine(File.ReadAllText(Directory.GetFiles(Path.Combine(device.Home, "emergency-kits")).Single()), "Secret Key:");

    /// <summary>A new device of a member signed in with <c>coffer signin</c> to <paramref name="server"/> (the proxy, or the server itself).</summary>
    internal async Task<(CofferHomeDirectory Device, CofferRun SignIn)> SignInAsync(string name, string email, string secretKey, string password, Uri server)
    {
        CofferHomeDirectory device = new(name);
        CofferRun signIn = await device.RunAsync(secretKey + "\n" + password + "\n", "signin", server.ToString(), "--email", email,
            "--org-fingerprint", Org.OrganisationFingerprint, "--secret-key-stdin", "--password-stdin");
        return (device, signIn);
    }

    /// <summary>Bob on a new device that talks to the server through the proxy.</summary>
    internal async Task<CofferHomeDirectory> BobThroughProxyAsync(string name)
    {
        (CofferHomeDirectory device, CofferRun signIn) = await SignInAsync(name, Bob.Email, BobSecretKey, Bob.Password, Proxy.Address);
        if (signIn.Exit != 0)
        {
            device.Dispose();
            Assert.Fail(signIn.ToString());
        }
        return device;
    }

    /// <summary>A new vault of the Owner's, shared with Bob as an editor; returns its id.</summary>
    internal async Task<string> VaultSharedWithBobAsync(string name)
    {
        CofferRun vault = SharedVaultFixture.Succeeded(await Org.Owner.RunAsync(null, "vault", "create", name, "--format", "json"));
        SharedVaultFixture.Succeeded(await Org.Owner.RunAsync(null, "vault", "share", name, "--member", Bob.Email, "--role", "editor"));
        return JsonDocument.Parse(vault.Stdout).RootElement.GetProperty("id").GetString()!;
    }

    public async Task DisposeAsync()
    {
        Bob?.Dispose();
        Carol?.Dispose();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }
        await Org.DisposeAsync();
    }
}
