using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Http;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Setup;
using Coffer.Server.Features.Setup;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Common;

/// <summary>
/// A real server on one engine, set up by the SDK exactly as a first Owner's client would. Key
/// generation is slow (six RSA keys), so one organisation is made per test run and posted to each
/// server with that server's own one-time token (the token is not part of anything signed).
/// </summary>
internal sealed class TestOrganisation : IAsyncDisposable
{
    public const string Password = "correct horse battery staple 42";
    public const int Iterations = 1000;
    public static readonly KdfPolicy Policy = KdfPolicy.ForTesting(Iterations);

    private static readonly Lazy<OrganisationSetupResult> Shared = new(() => OrganisationSetup.Create(
        new SetupDetails("Example Ministry", "Owner@Example.org", "Olive Owner", new Uri("http://127.0.0.1")),
        Password, Protocol.Encoding.Base64Url.Encode(new byte[32]), TimeProvider.System, Policy, Iterations));

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<WebApplicationBuilder> _configure;
    private readonly HttpMessageHandler? _handler;

    private TestOrganisation(TestDatabase database, ServerHost server, CofferConnection connection, Dictionary<string, string?> settings,
        Action<WebApplicationBuilder> configure, HttpMessageHandler? handler, TimeProvider clock)
    {
        Clock = clock;
        OwnerAuthenticator = new(clock, "Owner's phone");
        Database = database;
        Server = server;
        Connection = connection;
        _settings = settings;
        _configure = configure;
        _handler = handler;
    }

    public TestDatabase Database { get; }

    public ServerHost Server { get; private set; }

    public CofferConnection Connection { get; private set; }

    /// <summary>
    /// The first Owner's authenticator app on this server (docs/adr/0022): their first sign-in enrols TOTP through it (and keeps
    /// ten backup codes), later ones on a new device present its codes; a device that presented one is remembered.
    /// </summary>
    public TotpAuthenticator OwnerAuthenticator { get; }

    /// <summary>The server's clock (a <see cref="ManualClock"/> when the test gave one).</summary>
    public TimeProvider Clock { get; }

    public static OrganisationSetupResult Setup => Shared.Value;

    public static string OwnerEmail => Setup.Request.Owner.Email;

    public static string OwnerId => Setup.Request.Owner.MemberId;

    /// <summary>Starts a server on <paramref name="engine"/> and sets it up (unless <paramref name="setUp"/> is false).</summary>
    public static async Task<TestOrganisation> StartAsync(Engine engine, bool setUp = true, IDictionary<string, string?>? settings = null,
        HttpMessageHandler? handler = null, TimeProvider? clock = null, Action<WebApplicationBuilder>? configure = null)
    {
        TestDatabase db = await TestDatabase.CreateAsync(engine, migrate: false);
        Dictionary<string, string?> all = db.ServerSettings;
        all["Coffer:MinimumKdfIterations"] = Iterations.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach ((string k, string? v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }
        void Configure(WebApplicationBuilder b)
        {
            if (clock is not null)
            {
                b.Services.AddSingleton(clock);
            }
            configure?.Invoke(b);
        }
        ServerHost server = await ServerHost.StartAsync(all, Configure);
        TestOrganisation org = new(db, server, new CofferConnection(server.Address, handler), all, Configure, handler, clock ?? TimeProvider.System);
        if (setUp)
        {
            await org.Connection.PostAsync("/api/v1/setup", Setup.Request with { Token = await org.SetupTokenAsync() },
                CofferJsonContext.Default.SetupRequest, CofferJsonContext.Default.SetupResponse);
        }
        return org;
    }

    /// <summary>
    /// Stops the server and starts another on the same database with a new data directory — so a new audit key, as if the
    /// key file had been replaced (docs/adr/0016). <see cref="Server"/> and <see cref="Connection"/> are the new ones; sessions
    /// signed in before live on (they are in the database) but must be used through a connection to the new address.
    /// </summary>
    public async Task ReplaceServerAsync()
    {
        Connection.Dispose();
        await Server.DisposeAsync();
        Server = await ServerHost.StartAsync(_settings, _configure);
        Connection = new CofferConnection(Server.Address, _handler);
    }

    /// <summary>The token of the setup link the server printed (it appears once the server listens).</summary>
    public async Task<string> SetupTokenAsync()
    {
        SetupLink link = Server.Services.GetRequiredService<SetupLink>();
        for (int i = 0; i < 100 && link.Url is null; i++)
        {
            await Task.Delay(50);
        }
        string url = link.Url ?? throw new InvalidOperationException("The server printed no setup link.");
        return url[(url.IndexOf("#token=", StringComparison.Ordinal) + "#token=".Length)..];
    }

    public Task<SignInResult> SignInOwnerAsync(string? password = null, string deviceId = "0190a1b2-0000-7000-8000-00000000d001",
        CofferConnection? connection = null) =>
        SignInWithFactorAsync(OwnerAuthenticator, () => SignIn.SignInAsync(connection ?? Connection, OwnerEmail, password ?? Password, Setup.SecretKey,
            deviceId, new DeviceInfoDto("Test laptop", "linux-cli", "0.1.0"), Policy));

    /// <summary>
    /// Signs in with <paramref name="signIn"/> and presents the factor the server asks for through the SDK with
    /// <paramref name="authenticator"/>, which also answers step-up refusals (the session's <see cref="CofferSession.StepUpHandler"/>); after a first enrolment it also fetches backup codes into it, for sign-ins on more
    /// new devices within one 30-second step than TOTP allows.
    /// </summary>
    public static async Task<SignInResult> SignInWithFactorAsync(TotpAuthenticator authenticator, Func<Task<SignInResult>> signIn)
    {
        SignInResult result = await signIn();
        // Like a person at a prompt: a privileged action refused for want of a fresh factor is stepped up and sent again
        // (docs/adr/0024). Tests of the refusal itself clear the handler.
        result.Session.StepUpHandler = new MfaStepUp(authenticator, () => (result.AccountKeys, result.Kdf));
        bool enrolling = result.Mfa.EnrolmentRequired;
        await SignIn.SatisfyMfaAsync(result, authenticator);
        if (enrolling)
        {
            authenticator.AddBackupCodes(await new MfaClient(result.Session).RegenerateBackupCodesAsync());
        }
        return result;
    }

    /// <summary>Signs the first Owner in and unlocks their keys (provenance checked to the pinned root).</summary>
    public async Task<(SignInResult SignIn, UnlockedAccount Keys)> SignInAndUnlockOwnerAsync()
    {
        SignInResult signIn = await SignInOwnerAsync();
        return (signIn, await UnlockAsync(signIn, Setup.Account));
    }

    /// <summary>
    /// Invites, accepts and confirms a member as <paramref name="admin"/> (see <see cref="TestMember"/>); <paramref name="groups"/>
    /// names built-in groups (say <c>administrators</c>) whose keys the confirmation also gives them.
    /// </summary>
    public Task<TestMember> AddMemberAsync(SignInResult admin, UnlockedAccount adminKeys, string email, string baseGroup = "team_members",
        bool confirm = true, params string[] groups) => TestMember.JoinAsync(this, admin, adminKeys, email, baseGroup, confirm, groups);

    /// <summary>Fetches the account's keys and unlocks them with the AUK the sign-in derived.</summary>
    public static async Task<UnlockedAccount> UnlockAsync(SignInResult signIn, RememberedAccount account)
    {
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", CofferJsonContext.Default.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        return AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, account, new Pins(), TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        OwnerAuthenticator.Dispose();
        Connection.Dispose();
        await Server.DisposeAsync();
        await Database.DisposeAsync();
    }
}
