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
using Coffer.Sdk.Members;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// An organisation (a real server, set up by the real <c>coffer setup</c>) with two more people on devices of their own:
/// Bob and Carol, invited with <c>coffer member invite</c>, accepting with <c>coffer accept</c> from the mailed links,
/// confirmed by the Owner (through the SDK until the CLI has <c>member confirm</c>) and unlocked with <c>coffer unlock</c>.
/// The Owner made the vault "Team" and shared it with Bob as an editor and Carol as a viewer.
/// </summary>
public sealed class SharedVaultFixture : IAsyncLifetime
{
    public const string BobEmail = "bob@example.org";
    public const string BobPassword = "violet tangerine otter 5531";
    public const string CarolEmail = "carol@example.org";
    public const string CarolPassword = "amber walrus lantern 8012";
    public const string TeamVault = "Team";

    public OrganisationFixture Org { get; } = new();

    internal CofferHomeDirectory Owner => Org.Owner;

    internal CofferHomeDirectory Bob { get; private set; } = null!;

    internal CofferHomeDirectory Carol { get; private set; } = null!;

    public string BobMemberId { get; private set; } = "";

    public string BobSecretKey { get; private set; } = "";

    public string TeamVaultId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Org.InitializeAsync();
        Bob = new CofferHomeDirectory("bob");
        Carol = new CofferHomeDirectory("carol");
        (BobMemberId, BobSecretKey) = await JoinAsync(Bob, BobEmail, BobPassword);
        await JoinAsync(Carol, CarolEmail, CarolPassword);

        CofferRun team = await Owner.RunAsync(null, "vault", "create", TeamVault, "--format", "json");
        Assert.True(team.Exit == 0, team.ToString());
        TeamVaultId = JsonDocument.Parse(team.Stdout).RootElement.GetProperty("id").GetString()!;
        Succeeded(await Owner.RunAsync(null, "vault", "share", TeamVault, "--member", BobEmail, "--role", "editor"));
        Succeeded(await Owner.RunAsync(null, "vault", "share", TeamVault, "--member", CarolEmail, "--role", "viewer"));
    }

    /// <summary>Fails the test with the whole run when a command did not succeed.</summary>
    internal static CofferRun Succeeded(CofferRun run)
    {
        Assert.True(run.Exit == 0, run.ToString());
        return run;
    }

    /// <summary>Signs a member in on a device of the test's own through the SDK, with the Secret Key from their kit.</summary>
    internal async Task<(CofferConnection Connection, SignInResult SignIn, UnlockedAccount Keys)> ThroughSdkAsync(string email, string password,
        string secretKeyText, string memberId)
    {
        CofferConnection connection = new(Org.ServerUrl);
        using SecretKey secretKey = SecretKey.Parse(secretKeyText);
        SignInResult signIn = await SignIn.SignInAsync(connection, email, password, secretKey, Coffer.Sdk.Ids.UuidV7.New(TimeProvider.System),
            new DeviceInfoDto("e2e", "linux-cli", "0.1.0"), SecondFactors.For(Org.ServerUrl, email), KdfPolicy.Default);
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", CofferJsonContext.Default.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        RememberedAccount remembered = new(Org.OrgId, memberId, email, secretKey.AccountId, Fingerprint.Parse(Org.OrganisationFingerprint), 0);
        return (connection, signIn, AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, remembered, new Pins(), TimeProvider.System));
    }

    /// <summary>Invited by the Owner, accepts, is confirmed, unlocks: returns the member id and the Secret Key from the kit.</summary>
    private async Task<(string MemberId, string SecretKey)> JoinAsync(CofferHomeDirectory device, string email, string password)
    {
        CofferRun invite = Succeeded(await Owner.RunAsync(null, "member", "invite", email, "--format", "json"));
        string memberId = JsonDocument.Parse(invite.Stdout).RootElement.GetProperty("memberId").GetString()!;
        Succeeded(await device.RunAsync(password + "\n", "accept", Org.InvitationLinkFor(email), "--password-stdin"));
        (CofferConnection connection, SignInResult admin, UnlockedAccount keys) = await Org.OwnerThroughSdkAsync();
        using (connection)
        using (admin)
        using (keys)
        {
            PendingMember pending = await MemberConfirmation.FetchAsync(admin.Session, keys, memberId);
            await MemberConfirmation.ConfirmAsync(admin.Session, keys, pending, TimeProvider.System);
            admin.Session.Dispose();
        }
        Succeeded(await device.RunAsync(password + "\n", "unlock", "--password-stdin"));
        string kit = File.ReadAllText(Directory.GetFiles(Path.Combine(device.Home, "emergency-kits")).Single());
        return (memberId, OrganisationFixture.KitLine(kit, "Secret Key:"));
    }

    public async Task DisposeAsync()
    {
        Bob?.Dispose();
        Carol?.Dispose();
        await Org.DisposeAsync();
    }
}
