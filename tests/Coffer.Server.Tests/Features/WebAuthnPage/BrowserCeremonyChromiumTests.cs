using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts.Mfa;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.WebAuthn;
using Coffer.Sdk.WebAuthn;
using Coffer.Server.Tests.Common;
using Coffer.Testing.Browser;

namespace Coffer.Server.Tests.Features.WebAuthnPage;

/// <summary>
/// The whole browser ceremony with real Chromium and a DevTools virtual authenticator: the server's /webauthn page on
/// http://localhost:PORT (an RP id cannot be an IP address), the SDK's loopback listener, and the credential checked
/// by Coffer.Protocol's relying party (registration, then assertion). Options are made here; the server's own
/// security-key endpoints are exercised elsewhere.
/// </summary>
public sealed class BrowserCeremonyChromiumTests : IClassFixture<BrowserCeremonyChromiumTests.Fixture>
{
    private static readonly TimeSpan CeremonyTimeout = TimeSpan.FromSeconds(60);

    private readonly Fixture _fixture;

    public BrowserCeremonyChromiumTests(Fixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task RegisterThenAssert_VirtualKey_VerifiedByTheRelyingParty_UvRequiredOnlyWhenVerified(bool residentKey, bool userVerification)
    {
        VirtualSecurityKey key = await _fixture.Chromium.NewTabWithSecurityKeyAsync(residentKey, userVerification);
        WebAuthnRelyingParty rp = new("localhost", _fixture.Origin);
        byte[] userHandle = RandomNumberGenerator.GetBytes(16);

        // Chromium creates a discoverable credential only on a key that verifies the user (CTAP 2.1 ties the two): with
        // resident keys but no user verification, "required" is refused and the key is used as a non-resident one.
        bool discoverable = residentKey && userVerification;
        if (residentKey && !userVerification)
        {
            await using BrowserCeremony<WebAuthnRegistrationCredentialDto> refused = BrowserCeremony.StartRegistration(_fixture.ServerBase,
                CreationOptions(userHandle, RandomNumberGenerator.GetBytes(32), residentKeyRequired: true, "discouraged"), "Add a security key",
                CeremonyTimeout);
            await key.OpenAsync(refused.PageAddress);
            BrowserCeremonyException e = await Assert.ThrowsAsync<BrowserCeremonyException>(() => refused.WaitAsync());
            Assert.Equal("NotAllowedError", e.BrowserError);
        }

        // Registration.
        byte[] challenge = RandomNumberGenerator.GetBytes(32);
        WebAuthnCreationOptionsDto creation = CreationOptions(userHandle, challenge, discoverable, userVerification ? "preferred" : "discouraged");
        WebAuthnRegistrationCredentialDto registration;
        await using (BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony =
                     BrowserCeremony.StartRegistration(_fixture.ServerBase, creation, "Add a security key", CeremonyTimeout))
        {
            await key.OpenAsync(ceremony.PageAddress);
            registration = await ceremony.WaitAsync();
        }
        Assert.Contains("Done", await key.WaitForStatusAsync("Done"), StringComparison.Ordinal);
        Assert.Equal(registration.Id, registration.RawId);
        Assert.Equal("public-key", registration.Type);

        byte[] attestationObject = Base64Url.Decode(registration.Response.AttestationObject);
        byte[] registrationClientData = Base64Url.Decode(registration.Response.ClientDataJson);
        WebAuthnRegistrationResult registered = rp.VerifyRegistration(attestationObject, registrationClientData, challenge, requireUserVerification: false);
        Assert.True(registered.Succeeded, registered.Failure.ToString());
        RegisteredCredential credential = registered.Credential!;
        Assert.Equal(Base64Url.Decode(registration.RawId), credential.CredentialId.ToArray());
        Assert.Equal("none", credential.AttestationFormat);

        WebAuthnRegistrationResult uvRequired = rp.VerifyRegistration(attestationObject, registrationClientData, challenge, requireUserVerification: true);
        Assert.Equal(userVerification ? WebAuthnFailure.None : WebAuthnFailure.UserNotVerified, uvRequired.Failure);

        JsonElement stored = Assert.Single(await key.CredentialsAsync());
        Assert.Equal(discoverable, stored.GetProperty("isResidentCredential").GetBoolean());

        // Assertion: a discoverable credential is found without naming it; a non-resident one must be named.
        challenge = RandomNumberGenerator.GetBytes(32);
        WebAuthnRequestOptionsDto request = new(
            Base64Url.Encode(challenge),
            30_000,
            "localhost",
            discoverable ? [] : [new WebAuthnCredentialDescriptorDto("public-key", registration.RawId, registration.Response.Transports)],
            "preferred");
        WebAuthnAssertionCredentialDto assertion;
        await using (BrowserCeremony<WebAuthnAssertionCredentialDto> ceremony =
                     BrowserCeremony.StartAssertion(_fixture.ServerBase, request, "Sign in", CeremonyTimeout))
        {
            await key.OpenAsync(ceremony.PageAddress);
            assertion = await ceremony.WaitAsync();
        }
        Assert.Equal(registration.RawId, assertion.RawId);
        if (discoverable)
        {
            Assert.Equal(Base64Url.Encode(userHandle), assertion.Response.UserHandle);
        }

        byte[] authenticatorData = Base64Url.Decode(assertion.Response.AuthenticatorData);
        byte[] assertionClientData = Base64Url.Decode(assertion.Response.ClientDataJson);
        byte[] signature = Base64Url.Decode(assertion.Response.Signature);
        WebAuthnAssertionResult asserted = rp.VerifyAssertion(authenticatorData, assertionClientData, signature, challenge,
            credential.PublicKey, credential.SignCount, requireUserVerification: false);
        Assert.True(asserted.Succeeded, asserted.Failure.ToString());
        Assert.True(asserted.SignCount > credential.SignCount);

        WebAuthnAssertionResult assertionUvRequired = rp.VerifyAssertion(authenticatorData, assertionClientData, signature, challenge,
            credential.PublicKey, credential.SignCount, requireUserVerification: true);
        Assert.Equal(userVerification ? WebAuthnFailure.None : WebAuthnFailure.UserNotVerified, assertionUvRequired.Failure);

        // The same assertion again is a replay: the counter has moved on.
        WebAuthnAssertionResult replay = rp.VerifyAssertion(authenticatorData, assertionClientData, signature, challenge,
            credential.PublicKey, asserted.SignCount, requireUserVerification: false);
        Assert.Equal(WebAuthnFailure.CounterRegression, replay.Failure);
    }

    [Fact]
    public async Task Page_CallbackNotLoopback_RefusesAndSendsNothing()
    {
        VirtualSecurityKey key = await _fixture.Chromium.NewTabWithSecurityKeyAsync(residentKeys: false, userVerification: true);
        string state = new('A', 43);

        await key.OpenAsync(new Uri(_fixture.ServerBase, "/webauthn#http://evil.example:8080/" + state));

        Assert.Contains("only works", await key.WaitForStatusAsync("only works"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ceremony_BrowserRefuses_CallerLearnsTheDomExceptionName()
    {
        // An authenticator without resident keys cannot satisfy residentKey "required": the browser says so.
        VirtualSecurityKey key = await _fixture.Chromium.NewTabWithSecurityKeyAsync(residentKeys: false, userVerification: true);
        WebAuthnCreationOptionsDto creation = CreationOptions(RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(32),
            residentKeyRequired: true, "preferred");
        await using BrowserCeremony<WebAuthnRegistrationCredentialDto> ceremony =
            BrowserCeremony.StartRegistration(_fixture.ServerBase, creation, "Add a security key", CeremonyTimeout);

        await key.OpenAsync(ceremony.PageAddress);
        BrowserCeremonyException refused = await Assert.ThrowsAsync<BrowserCeremonyException>(() => ceremony.WaitAsync());

        Assert.Equal(BrowserCeremonyFailure.Refused, refused.Failure);
        Assert.Equal("NotAllowedError", refused.BrowserError);
        Assert.Contains("not used", await key.WaitForStatusAsync("not used"), StringComparison.Ordinal);
    }

    private static WebAuthnCreationOptionsDto CreationOptions(byte[] userHandle, byte[] challenge, bool residentKeyRequired, string userVerification) => new(
        new WebAuthnRpDto("localhost", "Coffer"),
        new WebAuthnUserDto(Base64Url.Encode(userHandle), "owner@example.test", "Owner"),
        Base64Url.Encode(challenge),
        [new("public-key", -7), new("public-key", -257)],
        30_000,
        [],
        new WebAuthnAuthenticatorSelectionDto(residentKeyRequired ? "required" : "discouraged", residentKeyRequired, userVerification),
        "none");

    /// <summary>One server and one Chromium for the class; each test opens its own tab and virtual key.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private ServerHost? _server;
        private HeadlessChromium? _chromium;

        public HeadlessChromium Chromium => _chromium!;

        /// <summary>The server by name: WebAuthn needs a domain for the RP id, and localhost is one.</summary>
        public Uri ServerBase { get; private set; } = null!;

        public string Origin => ServerBase.GetLeftPart(UriPartial.Authority);

        public async Task InitializeAsync()
        {
            _server = await ServerHost.StartAsync();
            ServerBase = new Uri($"http://localhost:{_server.Address.Port}/");
            _chromium = await HeadlessChromium.StartAsync();
        }

        public async Task DisposeAsync()
        {
            if (_chromium is not null)
            {
                await _chromium.DisposeAsync();
            }
            if (_server is not null)
            {
                await _server.DisposeAsync();
            }
        }
    }
}
