using System.Net;
using System.Net.Sockets;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Mfa;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Policies;
using Coffer.Sdk.WebAuthn;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Testing.Browser;

namespace Coffer.Server.Tests.Features.WebAuthnPage;

/// <summary>
/// Security keys through the server's real endpoints, with real Chromium and its virtual authenticator (docs/adr/0026): the
/// server's WebAuthn origin is http://localhost:PORT, the SDK's BrowserCeremony carries the server's options to the page and
/// the browser's answer back, and the SDK finishes each ceremony on its own session. Resident keys on and off × user
/// verification on and off, under the policy's <c>preferred</c> and then <c>required</c> user verification.
/// </summary>
public sealed class SecurityKeyBrowserTests
{
    private static readonly TimeSpan CeremonyTimeout = TimeSpan.FromSeconds(60);
    private static readonly DeviceInfoDto Device = new("Second laptop", "linux-cli", "0.1.0");

    [Theory, BothEngines]
    public async Task RegisterAndSignIn_VirtualKeys_ResidentOnOffUvOnOff_UvRequiredPolicyOnlyVerifyingKeys(Engine engine)
    {
        int port = FreePort();
        Uri server = new($"http://localhost:{port}/");
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, settings: new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["Coffer:WebAuthn:Origin"] = server.GetLeftPart(UriPartial.Authority),
        });
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        using UnlockedAccount ownerKeys = keys;
        await using HeadlessChromium chromium = await HeadlessChromium.StartAsync();

        List<(bool Uv, VirtualSecurityKey Key)> securityKeys = [];
        int device = 0;
        foreach ((bool residentKeys, bool userVerification) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            VirtualSecurityKey key = await chromium.NewTabWithSecurityKeyAsync(residentKeys, userVerification);
            MfaAcceptedResponse added = await RegisterAsync(new MfaClient(owner.Session), key, server, $"Key rk={residentKeys} uv={userVerification}");
            Assert.Equal(MfaKinds.SecurityKey, added.Kind);
            securityKeys.Add((userVerification, key));

            // A sign-in on another device is offered the keys first and completed with this one.
            using SignInResult signIn = await SignInOnNewDeviceAsync(org, ++device);
            Assert.Equal(MfaKinds.SecurityKey, signIn.Mfa.Methods[0]);
            MfaAcceptedResponse? accepted = await SignIn.SatisfyMfaAsync(signIn, new BrowserKey(key, server), attempts: 1);
            Assert.Equal(MfaKinds.SecurityKey, accepted!.Kind);
            Assert.NotNull(await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Coffer.Contracts.CofferJsonContext.Default.VaultListResponse));
        }
        Assert.Equal(4, (await new MfaClient(owner.Session).ListAsync()).Factors.Count(f => f.Kind == MfaKinds.SecurityKey && f.Active));

        // The policy now demands user verification: the options say so, the keys that verify still sign in, the others cannot.
        PolicyClient policies = new(owner.Session, ownerKeys);
        OrganisationPolicy policy = await policies.GetAsync();
        await policies.UpdateAsync(policy.Version, policy.Settings with { SecurityKeyUserVerification = "required" });
        foreach ((bool uv, VirtualSecurityKey key) in securityKeys)
        {
            using SignInResult signIn = await SignInOnNewDeviceAsync(org, ++device);
            if (uv)
            {
                MfaAcceptedResponse? accepted = await SignIn.SatisfyMfaAsync(signIn, new BrowserKey(key, server), attempts: 1);
                Assert.Equal(MfaKinds.SecurityKey, accepted!.Kind);
            }
            else
            {
                BrowserCeremonyException refused = await Assert.ThrowsAsync<BrowserCeremonyException>(
                    () => SignIn.SatisfyMfaAsync(signIn, new BrowserKey(key, server), attempts: 1));
                Assert.Equal(BrowserCeremonyFailure.Refused, refused.Failure);
                await Assert.ThrowsAsync<Coffer.Sdk.Errors.CofferApiException>(
                    () => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Coffer.Contracts.CofferJsonContext.Default.VaultListResponse));
            }
        }
    }

    private static async Task<MfaAcceptedResponse> RegisterAsync(MfaClient mfa, VirtualSecurityKey key, Uri server, string name)
    {
        SecurityKeyRegistrationOptionsResponse begun = await mfa.BeginSecurityKeyRegistrationAsync(name);
        WebAuthnRegistrationCredentialDto credential;
        await using (BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony =
                     BrowserCeremony.StartRegistration(server, begun.PublicKey, "Add a security key", CeremonyTimeout))
        {
            await key.OpenAsync(ceremony.PageAddress);
            credential = await ceremony.WaitAsync();
        }
        return await mfa.FinishSecurityKeyRegistrationAsync(begun.CeremonyId, credential);
    }

    private static Task<SignInResult> SignInOnNewDeviceAsync(TestOrganisation org, int device) =>
        SignIn.SignInAsync(org.Connection, TestOrganisation.OwnerEmail, TestOrganisation.Password, TestOrganisation.Setup.SecretKey,
            $"0190a1b2-0000-7000-8000-0000000000{device:x2}", Device, TestOrganisation.Policy);

    private static int FreePort()
    {
        using TcpListener probe = new(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>The person chooses their security key, and the browser tab with the virtual key answers.</summary>
    private sealed class BrowserKey(VirtualSecurityKey key, Uri server) : IMfaHandler
    {
        public Task<MfaCode> GetCodeAsync(IReadOnlyList<string> methods, CancellationToken cancellationToken) => Task.FromResult(MfaCode.SecurityKey);

        public Task<string> EnrolAsync(TotpEnrolment enrolment, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The owner already has factors.");

        public async Task<WebAuthnAssertionCredentialDto> GetSecurityKeyAssertionAsync(WebAuthnRequestOptionsDto options, CancellationToken cancellationToken)
        {
            await using BrowserCeremony<WebAuthnAssertionCredentialDto> ceremony = BrowserCeremony.StartAssertion(server, options, "Sign in", CeremonyTimeout);
            await key.OpenAsync(ceremony.PageAddress);
            return await ceremony.WaitAsync(cancellationToken);
        }
    }
}
