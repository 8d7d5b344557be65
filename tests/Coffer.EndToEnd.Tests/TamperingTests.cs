using System.Security.Cryptography;
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
/// Issue 4's tampering requirement with the real <c>coffer</c> against a real server (docs/adr/0021-tampering-tests.md): what an
/// on-path attacker can do (a <see cref="TamperingProxy"/>: flip a bit in a sealed answer, replay one, lower the iteration count
/// before the session exists) and what only the server can do (a <see cref="CompromisedServer"/> editing its database between
/// commands: swap two items' envelopes, serve an older item version, substitute a member's public key, inject a vault or group
/// key of its own). Each is refused with one clear line and exit 8 by a device that saw the real state — which keeps what it
/// had — and, where a signature or the floor breaks, by a fresh device too.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TamperingTests(TamperingFixture fixture) : IClassFixture<TamperingFixture>
{
    private const string Refused = "coffer: Refused for your safety: ";

    private CofferHomeDirectory Owner => fixture.Org.Owner;

    [Fact]
    public async Task SealedAnswer_WithOneBitFlipped_IsRefused_AndTheDeviceKeepsWhatItHad()
    {
        string vault = Unique("Flip");
        await fixture.VaultSharedWithBobAsync(vault);
        string title = Unique("Router");
        await CreateAsync(Owner, vault, title, "router-pass-1");
        using CofferHomeDirectory bob = await fixture.BobThroughProxyAsync("bob-flip");
        await EventuallyAsync(bob, r => r.Stdout == "router-pass-1\n", "item", "get", title, "--field", "password");
        SharedVaultFixture.Succeeded(await Owner.RunAsync("router-pass-2\n", "item", "edit", title, "--password-stdin-field"));
        await UntilStaleAsync();

        int before = fixture.Proxy.TamperedCount;
        fixture.Proxy.FlipNextSealedAnswer();
        CofferRun flipped = await bob.RunAsync(null, "item", "get", title, "--field", "password");
        CofferRun cached = await WhileUnreachableAsync(() => bob.RunAsync(null, "item", "get", title, "--field", "password"));
        CofferRun after = await EventuallyAsync(bob, r => r.Stdout == "router-pass-2\n", "item", "get", title, "--field", "password");

        Assert.Equal(before + 1, fixture.Proxy.TamperedCount);
        Assert.Equal(8, flipped.Exit);
        Assert.Equal("", flipped.Stdout);
        Assert.StartsWith(Refused + "The server's answer (200) did not open under this session's key", OneLine(flipped.Stderr), StringComparison.Ordinal);
        // Nothing of the refused answer was kept: the cache still holds the version this device had.
        Assert.True(cached.Exit == 0, cached.ToString());
        Assert.Equal("router-pass-1\n", cached.Stdout);
        Assert.StartsWith("Cannot reach the server", OneLine(cached.Stderr), StringComparison.Ordinal);
        Assert.Equal(0, after.Exit);
    }

    [Fact]
    public async Task SealedAnswer_ReplayedFromAnEarlierRequest_IsRefused()
    {
        string vault = Unique("Replay");
        await fixture.VaultSharedWithBobAsync(vault);
        string title = Unique("Printer");
        await CreateAsync(Owner, vault, title, "printer-pass-1");
        using CofferHomeDirectory bob = await fixture.BobThroughProxyAsync("bob-replay");
        await EventuallyAsync(bob, r => r.Stdout == "printer-pass-1\n", "item", "get", title, "--field", "password");
        SharedVaultFixture.Succeeded(await Owner.RunAsync(null, "item", "trash", title));
        await UntilStaleAsync();

        int before = fixture.Proxy.TamperedCount;
        fixture.Proxy.ReplayNextSealedAnswer();
        CofferRun replayed = await bob.RunAsync(null, "item", "list");
        CofferRun after = await EventuallyAsync(bob, r => r.Exit == 0 && !r.Stdout.Contains(title, StringComparison.Ordinal), "item", "list", "--format", "json");

        Assert.Equal(before + 1, fixture.Proxy.TamperedCount);
        Assert.Equal(8, replayed.Exit);
        Assert.Equal("", replayed.Stdout);
        // The answer was sealed for an earlier sequence number: it does not open under this request's.
        Assert.StartsWith(Refused + "The server's answer (200) did not open under this session's key", OneLine(replayed.Stderr), StringComparison.Ordinal);
        Assert.Equal(0, after.Exit);
    }

    [Fact]
    public async Task SignIn_WithTheIterationCountLoweredBelowTheFloor_IsRefused_ByAKnownDeviceAndByAFreshOne()
    {
        using CofferHomeDirectory known = await fixture.BobThroughProxyAsync("bob-floor");
        SharedVaultFixture.Succeeded(await known.RunAsync(null, "lock"));

        CofferRun unlock;
        (CofferHomeDirectory Device, CofferRun SignIn) fresh;
        fixture.Proxy.RewriteIterations = KdfPolicy.MinimumIterations - 1;
        try
        {
            unlock = await known.RunAsync(fixture.Bob.Password + "\n", "unlock", "--password-stdin");
            fresh = await fixture.SignInAsync("bob-floor-fresh", fixture.Bob.Email, fixture.BobSecretKey, fixture.Bob.Password, fixture.Proxy.Address);
        }
        finally
        {
            fixture.Proxy.RewriteIterations = null;
        }
        using CofferHomeDirectory freshDevice = fresh.Device;
        CofferRun again = await known.RunAsync(fixture.Bob.Password + "\n", "unlock", "--password-stdin");

        foreach (CofferRun refused in (CofferRun[])[unlock, fresh.SignIn])
        {
            Assert.Equal(8, refused.Exit);
            Assert.Equal(Refused + "The server asked for fewer key-derivation iterations than the minimum; refusing to sign in.", OneLine(refused.Stderr));
        }
        Assert.False(File.Exists(Path.Combine(freshDevice.Home, "accounts.json")));
        Assert.True(again.Exit == 0, again.ToString());
    }

    [Fact]
    public async Task SignIn_WithTheIterationCountLoweredBelowWhatThisDeviceUsed_IsRefusedByIt_AndAFreshDeviceCannotSignIn()
    {
        // Dave's account moves to 700 000 iterations (a password change through the SDK); his device signs in at that count.
        (CofferHomeDirectory accepted, string email, string password, string memberId) = await CliMember.AcceptAsync(fixture.Org, "dave");
        using CofferHomeDirectory acceptedDevice = accepted;
        SharedVaultFixture.Succeeded(await Owner.RunAsync(null, "member", "confirm", email, "--yes"));
        // His first unlock enrols his authenticator app (MFA is required of everyone).
        SharedVaultFixture.Succeeded(await accepted.RunAsync(password + "\n", "unlock", "--password-stdin"));
        string secretKey = TamperingFixture.SecretKeyOf(accepted);
        string newPassword = password + " raised";
        await ChangePasswordAsync(email, password, newPassword, secretKey, memberId, iterations: 700_000);
        (CofferHomeDirectory known, CofferRun signIn) = await fixture.SignInAsync("dave-known", email, secretKey, newPassword, fixture.Proxy.Address);
        using CofferHomeDirectory knownDevice = known;
        SharedVaultFixture.Succeeded(signIn);
        SharedVaultFixture.Succeeded(await known.RunAsync(null, "lock"));

        CofferRun unlock;
        (CofferHomeDirectory Device, CofferRun SignIn) fresh;
        fixture.Proxy.RewriteIterations = KdfPolicy.MinimumIterations;
        try
        {
            unlock = await known.RunAsync(newPassword + "\n", "unlock", "--password-stdin");
            fresh = await fixture.SignInAsync("dave-fresh", email, secretKey, newPassword, fixture.Proxy.Address);
        }
        finally
        {
            fixture.Proxy.RewriteIterations = null;
        }
        using CofferHomeDirectory freshDevice = fresh.Device;
        CofferRun again = await known.RunAsync(newPassword + "\n", "unlock", "--password-stdin");

        Assert.Equal(8, unlock.Exit);
        Assert.Equal(Refused + "The server asked for fewer key-derivation iterations than this device used before; refusing to sign in.", OneLine(unlock.Stderr));
        // A device that never saw 700 000 cannot know; 650 000 is allowed, so it runs 2SKD and SRP fails: no session, no keys.
        Assert.Equal(3, fresh.SignIn.Exit);
        Assert.False(File.Exists(Path.Combine(freshDevice.Home, "accounts.json")));
        Assert.True(again.Exit == 0, again.ToString());
    }

    [Fact]
    public async Task Items_WithTheirEnvelopesSwapped_AreRefused_ByTheDeviceThatHeldThem_AndByAFreshDevice()
    {
        string vault = Unique("Swap");
        await fixture.VaultSharedWithBobAsync(vault);
        string first = Unique("Mail");
        string second = Unique("Bank");
        string firstId = await CreateAsync(Owner, vault, first, "mail-pass-1");
        string secondId = await CreateAsync(Owner, vault, second, "bank-pass-1");
        using CofferHomeDirectory bob = await fixture.BobThroughProxyAsync("bob-swap");
        await EventuallyAsync(bob, r => r.Stdout == "bank-pass-1\n", "item", "get", second, "--field", "password");

        Action undo = fixture.Server.SwapDetails(firstId, secondId);
        CofferRun held, cached, freshRead;
        (CofferHomeDirectory Device, CofferRun SignIn) fresh;
        try
        {
            await UntilStaleAsync();
            held = await bob.RunAsync(null, "item", "get", first, "--field", "password");
            cached = await WhileUnreachableAsync(() => bob.RunAsync(null, "item", "get", first, "--field", "password"));
            fresh = await fixture.SignInAsync("bob-swap-fresh", fixture.Bob.Email, fixture.BobSecretKey, fixture.Bob.Password, fixture.Proxy.Address);
            freshRead = await fresh.Device.RunAsync(null, "item", "get", first, "--field", "password");
        }
        finally
        {
            undo();
        }
        using CofferHomeDirectory freshDevice = fresh.Device;
        CofferRun after = await EventuallyAsync(bob, r => r.Stdout == "mail-pass-1\n", "item", "get", first, "--field", "password");

        foreach (CofferRun refused in (CofferRun[])[held, freshRead])
        {
            Assert.Equal(8, refused.Exit);
            Assert.Equal("", refused.Stdout);
            Assert.StartsWith(Refused, OneLine(refused.Stderr), StringComparison.Ordinal);
            Assert.DoesNotContain("pass-1", refused.Stderr, StringComparison.Ordinal);
        }
        Assert.Equal(0, fresh.SignIn.Exit);
        Assert.Equal("mail-pass-1\n", cached.Stdout);
        Assert.Equal(0, after.Exit);
    }

    [Fact]
    public async Task Item_ServedAtAnOlderVersion_IsRefusedByTheDeviceThatSawTheNewer_WhichKeepsIt()
    {
        string vault = Unique("Rollback");
        await fixture.VaultSharedWithBobAsync(vault);
        string title = Unique("Firewall");
        string id = await CreateAsync(Owner, vault, title, "firewall-pass-1");
        SharedVaultFixture.Succeeded(await Owner.RunAsync("firewall-pass-2\n", "item", "edit", title, "--password-stdin-field"));
        using CofferHomeDirectory bob = await fixture.BobThroughProxyAsync("bob-rollback");
        await EventuallyAsync(bob, r => r.Stdout == "firewall-pass-2\n", "item", "get", title, "--field", "password");

        Action undo = fixture.Server.ServeOlderVersion(id, 1);
        CofferRun rolledBack, cached;
        try
        {
            await UntilStaleAsync();
            rolledBack = await bob.RunAsync(null, "item", "get", title, "--field", "password");
            cached = await WhileUnreachableAsync(() => bob.RunAsync(null, "item", "get", title, "--field", "password"));
        }
        finally
        {
            undo();
        }
        CofferRun after = await EventuallyAsync(bob, r => r.Exit == 0, "item", "get", title, "--field", "password");

        Assert.Equal(8, rolledBack.Exit);
        Assert.Equal("", rolledBack.Stdout);
        Assert.StartsWith(Refused, OneLine(rolledBack.Stderr), StringComparison.Ordinal);
        Assert.Contains(id, rolledBack.Stderr, StringComparison.Ordinal);
        Assert.Equal("firewall-pass-2\n", cached.Stdout);
        Assert.Equal("firewall-pass-2\n", after.Stdout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MemberPublicKey_SubstitutedByTheServer_IsRefusedWhenSharing_ByTheOwnerAndByAFreshOwnerDevice(bool alsoInCertificate)
    {
        string vault = Unique("Substitute");
        string vaultId = await fixture.VaultSharedWithBobAsync(vault);
        long grants = fixture.Server.GrantCount(vaultId);

        Action undo = fixture.Server.SubstituteEncryptionKey(fixture.Carol.MemberId, alsoInCertificate);
        CofferRun known, freshShare;
        (CofferHomeDirectory Device, CofferRun SignIn) fresh;
        try
        {
            known = await Owner.RunAsync(null, "vault", "share", vault, "--member", fixture.Carol.Email);
            fresh = await fixture.SignInAsync("owner-fresh", OrganisationFixture.OwnerEmail, fixture.Org.OwnerSecretKey, OrganisationFixture.OwnerPassword,
                fixture.Proxy.Address);
            freshShare = await fresh.Device.RunAsync(null, "vault", "share", vault, "--member", fixture.Carol.Email);
        }
        finally
        {
            undo();
        }
        using CofferHomeDirectory freshDevice = fresh.Device;

        Assert.True(fresh.SignIn.Exit == 0, fresh.SignIn.ToString());
        foreach (CofferRun refused in (CofferRun[])[known, freshShare])
        {
            Assert.Equal(8, refused.Exit);
            Assert.StartsWith(Refused, OneLine(refused.Stderr), StringComparison.Ordinal);
        }
        Assert.Equal(grants, fixture.Server.GrantCount(vaultId));
    }

    [Fact]
    public async Task VaultKey_InjectedByTheServer_SignedByNobody_IsNeverUsed_AndAFreshDeviceRefusesIt()
    {
        string vault = Unique("Inject");
        string vaultId = await fixture.VaultSharedWithBobAsync(vault);
        string title = Unique("Switch");
        await CreateAsync(Owner, vault, title, "switch-pass-1");
        using CofferHomeDirectory bob = await fixture.BobThroughProxyAsync("bob-inject");
        await EventuallyAsync(bob, r => r.Stdout == "switch-pass-1\n", "item", "get", title, "--field", "password");

        Action undo = fixture.Server.InjectVaultKey(vaultId, fixture.Bob.MemberId);
        CofferRun held, written, freshRead;
        (CofferHomeDirectory Device, CofferRun SignIn) fresh;
        string written2 = Unique("Written after");
        try
        {
            await UntilStaleAsync();
            // The device holds the vault key it verified and never trades it for one at the same serial: it reads and writes
            // under the real key, so what it writes now opens for the Owner.
            held = await bob.RunAsync(null, "item", "get", title, "--field", "password");
            written = await bob.RunAsync("written-pass-1\n", "item", "create", "--vault", vault, "--title", written2, "--password-stdin-field");
            fresh = await fixture.SignInAsync("bob-inject-fresh", fixture.Bob.Email, fixture.BobSecretKey, fixture.Bob.Password, fixture.Proxy.Address);
            freshRead = await fresh.Device.RunAsync(null, "item", "get", title, "--field", "password");
        }
        finally
        {
            undo();
        }
        using CofferHomeDirectory freshDevice = fresh.Device;
        CofferRun ownerReads = await EventuallyAsync(Owner, r => r.Exit == 0, "item", "get", written2, "--field", "password");

        Assert.Equal("switch-pass-1\n", held.Stdout);
        Assert.True(written.Exit == 0, written.ToString());
        Assert.Equal("written-pass-1\n", ownerReads.Stdout);
        Assert.Equal(0, fresh.SignIn.Exit);
        Assert.Equal(8, freshRead.Exit);
        Assert.Equal("", freshRead.Stdout);
        Assert.StartsWith(Refused, OneLine(freshRead.Stderr), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VaultKey_InjectedAsANewSerial_SignedByANonIssuer_IsRefusedByTheDeviceHoldingTheKey_AndByAFreshDevice()
    {
        string vault = Unique("Rotate");
        string vaultId = await fixture.VaultSharedWithBobAsync(vault);
        string title = Unique("Camera");
        await CreateAsync(Owner, vault, title, "camera-pass-1");
        using CofferHomeDirectory bob = await fixture.BobThroughProxyAsync("bob-serial");
        await EventuallyAsync(bob, r => r.Stdout == "camera-pass-1\n", "item", "get", title, "--field", "password");

        // Signed under an id no certificate names (the server's own key, as far as a client can tell).
        Action undo = fixture.Server.InjectVaultKey(vaultId, fixture.Bob.MemberId, signerId: Coffer.Sdk.Ids.UuidV7.New(TimeProvider.System), asNewSerial: true);
        CofferRun held, cached, freshRead;
        (CofferHomeDirectory Device, CofferRun SignIn) fresh;
        try
        {
            await UntilStaleAsync();
            held = await bob.RunAsync(null, "item", "get", title, "--field", "password");
            cached = await WhileUnreachableAsync(() => bob.RunAsync(null, "item", "get", title, "--field", "password"));
            fresh = await fixture.SignInAsync("bob-serial-fresh", fixture.Bob.Email, fixture.BobSecretKey, fixture.Bob.Password, fixture.Proxy.Address);
            freshRead = await fresh.Device.RunAsync(null, "item", "get", title, "--field", "password");
        }
        finally
        {
            undo();
        }
        using CofferHomeDirectory freshDevice = fresh.Device;

        foreach (CofferRun refused in (CofferRun[])[held, freshRead])
        {
            Assert.True(refused.Exit == 8, refused.ToString());
            Assert.Equal("", refused.Stdout);
            Assert.StartsWith(Refused, OneLine(refused.Stderr), StringComparison.Ordinal);
        }
        Assert.Equal("camera-pass-1\n", cached.Stdout);
    }

    [Fact]
    public async Task GroupKey_InjectedByTheServer_SignedByNobody_IsRefusedAtUnlock_ByAKnownDeviceAndAFreshOne()
    {
        using CofferHomeDirectory bob = await fixture.BobThroughProxyAsync("bob-group");
        SharedVaultFixture.Succeeded(await bob.RunAsync(null, "lock"));

        Action undo = fixture.Server.InjectGroupKey("team_members", fixture.Bob.MemberId);
        CofferRun unlock;
        (CofferHomeDirectory Device, CofferRun SignIn) fresh;
        try
        {
            unlock = await bob.RunAsync(fixture.Bob.Password + "\n", "unlock", "--password-stdin");
            fresh = await fixture.SignInAsync("bob-group-fresh", fixture.Bob.Email, fixture.BobSecretKey, fixture.Bob.Password, fixture.Proxy.Address);
        }
        finally
        {
            undo();
        }
        using CofferHomeDirectory freshDevice = fresh.Device;
        CofferRun again = await bob.RunAsync(fixture.Bob.Password + "\n", "unlock", "--password-stdin");

        foreach (CofferRun refused in (CofferRun[])[unlock, fresh.SignIn])
        {
            Assert.Equal(8, refused.Exit);
            Assert.StartsWith(Refused, OneLine(refused.Stderr), StringComparison.Ordinal);
        }
        Assert.True(again.Exit == 0, again.ToString());
    }

    /// <summary>Changes a member's password through the SDK, moving the account to <paramref name="iterations"/>.</summary>
    private async Task ChangePasswordAsync(string email, string password, string newPassword, string secretKeyText, string memberId, int iterations)
    {
        using CofferConnection connection = new(fixture.Org.ServerUrl);
        using SecretKey secretKey = SecretKey.Parse(secretKeyText);
        using SignInResult signIn = await SignIn.SignInAsync(connection, email, password, secretKey, Coffer.Sdk.Ids.UuidV7.New(TimeProvider.System),
            new DeviceInfoDto("e2e", "linux-cli", "0.1.0"), SecondFactors.For(fixture.Org.ServerUrl, email), KdfPolicy.Default);
        AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", CofferJsonContext.Default.AccountKeysResponse);
        using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
        RememberedAccount remembered = new(fixture.Org.OrgId, memberId, email, secretKey.AccountId, Fingerprint.Parse(fixture.Org.OrganisationFingerprint), 0);
        using UnlockedAccount account = AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, remembered, new Pins(), TimeProvider.System);
        using CredentialChange change = await AccountCredentials.ChangePasswordAsync(signIn, account, secretKey, password, newPassword,
            OrganisationFixture.OrganisationName, new CredentialChangeOptions { Iterations = iterations });
        signIn.Session.Dispose();
    }

    /// <summary>Runs a command while the proxy drops every connection (the server cannot be reached).</summary>
    private async Task<CofferRun> WhileUnreachableAsync(Func<Task<CofferRun>> command)
    {
        fixture.Proxy.Down = true;
        try
        {
            return await command();
        }
        finally
        {
            fixture.Proxy.Down = false;
        }
    }

    /// <summary>A read syncs first only when the last sync is over five seconds old (docs/adr/0020 §2): wait until it is.</summary>
    private static Task UntilStaleAsync() => Task.Delay(TimeSpan.FromSeconds(5.5));

    private static async Task<string> CreateAsync(CofferHomeDirectory device, string vault, string title, string password)
    {
        CofferRun created = SharedVaultFixture.Succeeded(await device.RunAsync(password + "\n", "item", "create", "--vault", vault, "--title", title,
            "--password-stdin-field", "--format", "json"));
        return JsonDocument.Parse(created.Stdout).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<CofferRun> EventuallyAsync(CofferHomeDirectory device, Func<CofferRun, bool> done, params string[] args)
    {
        CofferRun run = await device.RunAsync(null, args);
        for (int i = 0; i < 60 && !done(run); i++)
        {
            await Task.Delay(500);
            run = await device.RunAsync(null, args);
        }
        Assert.True(done(run), "never happened:\n" + run);
        return run;
    }

    private static string Unique(string name) => name + " " + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    private static string OneLine(string stderr)
    {
        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, "expected one line on stderr:\n" + stderr);
        return lines[0];
    }
}
