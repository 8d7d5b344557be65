using System.Globalization;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Http;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// A real coffer-server process, set up by the real <c>coffer setup</c> from the link the server printed, with the
/// first Owner's device (its home and agent) kept for the tests. Everything uses the production 2SKD floor: the CLI
/// has no way to lower it.
/// </summary>
public class OrganisationFixture : IAsyncLifetime
{
    public const string OwnerPassword = "correct horse battery staple 42";
    public const string OwnerEmail = "owner@example.org";
    public const string OrganisationName = "Example Ministry";

    private string _data = "";
    private ServerProcess? _server;

    internal CofferHomeDirectory Owner { get; private set; } = null!;

    internal CofferRun SetupRun { get; private set; } = null!;

    public Uri ServerUrl => _server!.Address;

    /// <summary>The address the server announces (its links, and the WebAuthn origin): <see cref="PublicHost"/> and the port.</summary>
    public Uri PublicUrl { get; private set; } = new("http://127.0.0.1");

    /// <summary>The host name of <see cref="PublicUrl"/>; the server listens on 127.0.0.1 whatever it is.</summary>
    protected virtual string PublicHost => "127.0.0.1";

    public string DataDirectory => _data;

    public string OwnerMemberId { get; private set; } = "";

    public string OrgId { get; private set; } = "";

    /// <summary>The organisation fingerprint as the Emergency Kit prints it.</summary>
    public string OrganisationFingerprint { get; private set; } = "";

    public string KitPath { get; private set; } = "";

    /// <summary>The Owner's Secret Key, read from their Emergency Kit as a person would.</summary>
    public string OwnerSecretKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _data = Directory.CreateTempSubdirectory("coffer-e2e-server-").FullName;
        int port = ServerProcess.FreePort();
        PublicUrl = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{PublicHost}:{port}"));
        _server = await ServerProcess.StartAsync(_data, port, "--Coffer:PublicUrl=" + PublicUrl.ToString().TrimEnd('/'));
        string link = await _server.SetupLinkAsync();
        Owner = new CofferHomeDirectory("owner");
        SetupRun = await Owner.RunAsync(OwnerPassword + "\n", "setup", link, "--email", OwnerEmail, "--name", "Olive Owner",
            "--org-name", OrganisationName, "--password-stdin", "--format", "json");
        Assert.True(SetupRun.Exit == 0, SetupRun.ToString());
        // The default policy asks everyone for a second factor: setup enrolled the Owner's authenticator app.
        Assert.Contains("otpauth://", SetupRun.Stderr, StringComparison.Ordinal);
        using JsonDocument setup = JsonDocument.Parse(SetupRun.Stdout);
        JsonElement account = setup.RootElement.GetProperty("account");
        OwnerMemberId = account.GetProperty("memberId").GetString()!;
        OrgId = account.GetProperty("orgId").GetString()!;
        OrganisationFingerprint = account.GetProperty("organisationFingerprint").GetString()!;
        KitPath = setup.RootElement.GetProperty("emergencyKit").GetString()!;
        OwnerSecretKey = KitLine(File.ReadAllText(KitPath), "Secret Key:");
    }

    /// <summary>A value from an Emergency Kit's text, by its label.</summary>
    public static string KitLine(string kit, string label) =>
        kit.Split('\n').Single(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();

    /// <summary>Every mail the server wrote to its outbox.</summary>
    public IEnumerable<string> Outbox() => Directory.GetFiles(Path.Combine(_data, "outbox"), "*.eml").Select(File.ReadAllText);

    /// <summary>The invitation link mailed to <paramref name="email"/>.</summary>
    public string InvitationLinkFor(string email)
    {
        string mail = Outbox().Single(m => m.Contains($"\r\nTo: {email}\r\n", StringComparison.OrdinalIgnoreCase)
            && m.Contains("\r\nSubject: You are invited to Coffer\r\n", StringComparison.Ordinal));
        int at = mail.IndexOf("/invite#", StringComparison.Ordinal);
        int start = mail.LastIndexOf("http", at, StringComparison.Ordinal);
        return mail[start..].Split('\r', '\n', ' ')[0];
    }

    /// <summary>
    /// The Owner on a device of its own through the SDK (with the Secret Key from the kit): the administrator steps the CLI
    /// gets in a later slice (confirming a member, suspending one).
    /// </summary>
    internal async Task<(CofferConnection Connection, SignInResult SignIn, UnlockedAccount Keys)> OwnerThroughSdkAsync()
    {
        CofferConnection connection = new(ServerUrl);
        using SecretKey secretKey = SecretKey.Parse(OwnerSecretKey);
        SignInResult signIn = await SignIn.SignInAsync(connection, OwnerEmail, OwnerPassword, secretKey, Coffer.Sdk.Ids.UuidV7.New(TimeProvider.System),
            new DeviceInfoDto("e2e admin", "linux-cli", "0.1.0"), SecondFactors.For(ServerUrl, OwnerEmail), KdfPolicy.Default);
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", CofferJsonContext.Default.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        RememberedAccount remembered = new(OrgId, OwnerMemberId, OwnerEmail, secretKey.AccountId, Fingerprint.Parse(OrganisationFingerprint), 0);
        return (connection, signIn, AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, remembered, new Pins(), TimeProvider.System));
    }

    /// <summary>Stops the server (SIGKILL), for a test of what the device does without it; the fixture ends with the test class.</summary>
    public void StopServer() => _server?.Kill();

    public Task DisposeAsync()
    {
        Owner?.Dispose();
        _server?.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// An organisation whose server announces itself as <c>http://localhost:PORT</c>: a WebAuthn RP id cannot be an IP address, so
/// security keys work only under a host name (docs/adr/0026). The setup link, and so every account here, uses that address.
/// </summary>
public sealed class LocalhostOrganisationFixture : OrganisationFixture
{
    protected override string PublicHost => "localhost";
}
