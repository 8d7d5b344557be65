using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Mfa;
using Coffer.Protocol.Encoding;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Mfa;
using Coffer.Sdk.Policies;
using Coffer.Server.Common.Data;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Mfa;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Tests.Features.Mfa;

/// <summary>
/// Security keys end to end on the server (docs/adr/0026), driven through the SDK with the committed fixtures
/// (testdata/webauthn/fixtures.json, WebAuthn L2 §7.1/§7.2 responses for RP id <c>localhost</c> and origin
/// <c>http://localhost:8443</c>): the server is configured with that origin, and the test replaces the challenge source in
/// its service collection so each ceremony's challenge is the one the fixture signed.
/// </summary>
public sealed class SecurityKeyTests
{
    private const string Origin = "http://localhost:8443";
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly DeviceInfoDto Device = new("Second laptop", "linux-cli", "0.1.0");

    [Theory, BothEngines]
    public async Task Register_Es256NoneAndRs256PackedSelf_ListedAndEachCompletesASignIn(Engine engine)
    {
        Fixtures fx = new();
        await using TestOrganisation org = await StartAsync(engine, fx);
        using SignInResult owner = await org.SignInOwnerAsync();
        MfaClient mfa = new(owner.Session);

        fx.QueueRegistration("es256-none");
        SecurityKeyRegistrationOptionsResponse options = await mfa.BeginSecurityKeyRegistrationAsync("Blue key");
        Assert.Equal("localhost", options.PublicKey.Rp.Id);
        Assert.Equal("none", options.PublicKey.Attestation);
        Assert.Equal([-7, -257], options.PublicKey.PubKeyCredParams.Select(p => p.Alg));
        Assert.Equal("preferred", options.PublicKey.AuthenticatorSelection.UserVerification);
        Assert.Empty(options.PublicKey.ExcludeCredentials);
        Assert.Equal(32, Base64Url.Decode(options.PublicKey.User.Id).Length);   // random, not the member id
        Assert.DoesNotContain(TestOrganisation.OwnerId.Replace("-", "", StringComparison.Ordinal), Convert.ToHexStringLower(Base64Url.Decode(options.PublicKey.User.Id)), StringComparison.Ordinal);
        MfaAcceptedResponse added = await mfa.FinishSecurityKeyRegistrationAsync(options.CeremonyId, Fixtures.Registration("es256-none"));
        Assert.Equal(MfaKinds.SecurityKey, added.Kind);

        fx.QueueRegistration("rs256-packed-self");
        SecurityKeyRegistrationOptionsResponse second = await mfa.BeginSecurityKeyRegistrationAsync("Red key");
        Assert.Equal([Fixtures.CredentialId("es256-none")], second.PublicKey.ExcludeCredentials.Select(c => c.Id));
        Assert.Equal(options.PublicKey.User.Id, second.PublicKey.User.Id);   // one handle per member
        await mfa.FinishSecurityKeyRegistrationAsync(second.CeremonyId, Fixtures.Registration("rs256-packed-self"));

        MfaFactorsResponse factors = await mfa.ListAsync();
        Assert.Equal(["Blue key", "Red key"], factors.Factors.Where(f => f.Kind == MfaKinds.SecurityKey && f.Active).Select(f => f.Name));
        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        Assert.Equal(2, events.Count(e => e.Action == AuditActions.MfaFactorAdd && e.Details!.Contains("\"kind\":\"security_key\"", StringComparison.Ordinal)));

        // A sign-in on a new device is offered the key first and completed with an assertion of each key.
        foreach ((string assertion, string device) in new[] { ("es256", "0190a1b2-0000-7000-8000-0000000000b1"), ("rs256", "0190a1b2-0000-7000-8000-0000000000b2") })
        {
            using SignInResult signIn = await RawOwnerSignInAsync(org, device);
            Assert.Equal(MfaKinds.SecurityKey, signIn.Mfa.Methods[0]);
            MfaAcceptedResponse? accepted = await SignIn.SatisfyMfaAsync(signIn, fx.Handler(assertion));
            Assert.Equal(MfaKinds.SecurityKey, accepted!.Kind);
            Assert.NotNull(await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse));
        }
        Assert.All((await mfa.ListAsync()).Factors.Where(f => f.Kind == MfaKinds.SecurityKey), f => Assert.NotNull(f.LastUsedAt));
    }

    [Theory, BothEngines]
    public async Task StepUp_WithASecurityKey_AllowsThePrivilegedAction(Engine engine)
    {
        Fixtures fx = new();
        ManualClock clock = new(DateTimeOffset.UtcNow);
        await using TestOrganisation org = await StartAsync(engine, fx, clock);
        using SignInResult owner = await org.SignInOwnerAsync();
        await RegisterAsync(owner, fx, "es256-none");
        clock.Advance(TimeSpan.FromMinutes(6));   // the factor presented is no longer fresh (the session, idle 10 minutes, lives on)

        owner.Session.StepUpHandler = null;
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => new MfaClient(owner.Session).RegenerateBackupCodesAsync());
        Assert.Equal(ErrorTypes.StepUpRequired, refused.Type);
        Assert.Contains(MfaKinds.SecurityKey, refused.StepUp!.Methods);

        owner.Session.StepUpHandler = new MfaStepUp(fx.Handler("es256"));
        Assert.Equal(10, (await new MfaClient(owner.Session).RegenerateBackupCodesAsync()).Count);
        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        Assert.Contains(events, e => e.Action == AuditActions.MfaVerify && e.Details == "{\"kind\":\"security_key\",\"stepUp\":true}");
    }

    [Theory, BothEngines]
    public async Task Assertion_WrongChallengeUvMissingReusedCounterRegressionExpired_EachMfaFailedLoggedAndCounted(Engine engine)
    {
        Fixtures fx = new();
        ManualClock clock = new(DateTimeOffset.UtcNow);
        CapturedLogs logs = new();
        await using TestOrganisation org = await StartAsync(engine, fx, clock, logs);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        await RegisterAsync(owner, fx, "es256-none");
        MfaClient mfa = new(owner.Session);

        // A challenge the server did not issue (this ceremony's is random).
        SecurityKeyAssertionOptionsResponse random = await mfa.BeginSecurityKeyAssertionAsync();
        await AssertFailedAsync(mfa.FinishSecurityKeyAssertionAsync(random.CeremonyId, Fixtures.Assertion("es256")));

        // User verification required by the policy: the options ask for it, an assertion without it is refused, one with it passes.
        PolicyClient policies = new(owner.Session, keys);
        OrganisationPolicy policy = await policies.GetAsync();
        policy = await policies.UpdateAsync(policy.Version, policy.Settings with { SecurityKeyUserVerification = "required" });
        fx.QueueAssertion("uv-required-missing");
        SecurityKeyAssertionOptionsResponse uvMissing = await mfa.BeginSecurityKeyAssertionAsync();
        Assert.Equal("required", uvMissing.PublicKey.UserVerification);
        await AssertFailedAsync(mfa.FinishSecurityKeyAssertionAsync(uvMissing.CeremonyId, Fixtures.Assertion("uv-required-missing")));
        fx.QueueAssertion("es256-uv");
        SecurityKeyAssertionOptionsResponse uv = await mfa.BeginSecurityKeyAssertionAsync();
        Assert.Equal(MfaKinds.SecurityKey, (await mfa.FinishSecurityKeyAssertionAsync(uv.CeremonyId, Fixtures.Assertion("es256-uv"))).Kind);   // counter 0 -> 1
        await policies.UpdateAsync(policy.Version, policy.Settings with { SecurityKeyUserVerification = "preferred" });

        // A ceremony is single use, even after a success.
        await AssertFailedAsync(mfa.FinishSecurityKeyAssertionAsync(uv.CeremonyId, Fixtures.Assertion("es256-uv")));

        // The counter only moves forward.
        fx.QueueAssertion("es256-counter-grows");
        SecurityKeyAssertionOptionsResponse grows = await mfa.BeginSecurityKeyAssertionAsync();
        await mfa.FinishSecurityKeyAssertionAsync(grows.CeremonyId, Fixtures.Assertion("es256-counter-grows"));                               // 1 -> 8
        fx.QueueAssertion("counter-regression-lower");
        SecurityKeyAssertionOptionsResponse lower = await mfa.BeginSecurityKeyAssertionAsync();
        await AssertFailedAsync(mfa.FinishSecurityKeyAssertionAsync(lower.CeremonyId, Fixtures.Assertion("counter-regression-lower")));    // 8 -> 3

        // A ceremony lives 5 minutes.
        fx.QueueAssertion("es256-counter-grows");
        SecurityKeyAssertionOptionsResponse expired = await mfa.BeginSecurityKeyAssertionAsync();
        clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        await AssertFailedAsync(mfa.FinishSecurityKeyAssertionAsync(expired.CeremonyId, Fixtures.Assertion("es256-counter-grows")));

        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        string[] reasons = [.. events.Where(e => e.Action == AuditActions.MfaVerify && e.Outcome == AuditOutcomes.Failure)
            .Select(e => JsonDocument.Parse(e.Details!).RootElement.GetProperty("reason").GetString()!)];
        Assert.Equal(["ChallengeMismatch", "UserNotVerified", "ceremony_unknown_or_expired", "CounterRegression", "ceremony_unknown_or_expired"], reasons);
        Assert.Contains(logs.Lines, l => l.Contains("Security key assertion refused", StringComparison.Ordinal) && l.Contains("CounterRegression", StringComparison.Ordinal));
        // The two failures since the last accepted assertion count towards the lockout, as security-key (webauthn) failures.
        Assert.Equal(2, await ScalarAsync(org, "SELECT count(*) FROM auth_failures WHERE key_kind = 'account' AND key_value = @v AND factor = 'webauthn'",
            TestOrganisation.OwnerId));
    }

    [Theory, BothEngines]
    public async Task Assertion_AnotherMembersCredential_RefusedAsMfaFailed(Engine engine)
    {
        Fixtures fx = new();
        await using TestOrganisation org = await StartAsync(engine, fx);
        (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
        using SignInResult ownerSignIn = owner;
        await RegisterAsync(owner, fx, "es256-none");
        using TestMember bob = await org.AddMemberAsync(owner, keys, "bob@example.org");
        using SignInResult bobSignIn = await bob.SignInAsync();
        MfaClient mfa = new(bobSignIn.Session);

        // The same credential cannot be registered twice in the organisation.
        fx.QueueRegistration("es256-none");
        SecurityKeyRegistrationOptionsResponse copy = await mfa.BeginSecurityKeyRegistrationAsync("Owner's key");
        await AssertFailedAsync(mfa.FinishSecurityKeyRegistrationAsync(copy.CeremonyId, Fixtures.Registration("es256-none")));
        await RegisterAsync(bobSignIn, fx, "rs256-none");

        fx.QueueAssertion("es256");
        SecurityKeyAssertionOptionsResponse options = await mfa.BeginSecurityKeyAssertionAsync();
        Assert.Equal([Fixtures.CredentialId("rs256-none")], options.PublicKey.AllowCredentials.Select(c => c.Id));
        await AssertFailedAsync(mfa.FinishSecurityKeyAssertionAsync(options.CeremonyId, Fixtures.Assertion("es256")));   // the Owner's key, validly signed
        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        Assert.Contains(events, e => e.Action == AuditActions.MfaVerify && e.Outcome == AuditOutcomes.Failure && e.ActorMemberId == bob.MemberId
            && e.Details!.Contains("credential_unknown", StringComparison.Ordinal));
    }

    [Theory, BothEngines]
    public async Task Register_WhileMfaPending_OnlyAsTheFirstFactor_ThenRemovedOnlyWithStepUpAndNotAsTheLast(Engine engine)
    {
        Fixtures fx = new();
        ManualClock clock = new(DateTimeOffset.UtcNow);
        await using TestOrganisation org = await StartAsync(engine, fx, clock);
        using SignInResult first = await RawOwnerSignInAsync(org, "0190a1b2-0000-7000-8000-0000000000c1");
        Assert.True(first.Mfa.EnrolmentRequired);
        Assert.Equal([MfaKinds.SecurityKey, MfaKinds.Totp], first.Mfa.Methods);
        MfaClient mfa = new(first.Session);
        await RegisterAsync(first, fx, "es256-none");   // the first factor: allowed while pending, and it satisfies the session
        Assert.NotNull(await first.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse));
        string keyId = Assert.Single((await mfa.ListAsync()).Factors).Id;

        // Its only factor cannot go while one is required; the answer names how to add another first.
        CofferApiException last = await Assert.ThrowsAsync<CofferApiException>(() => mfa.RemoveAsync(keyId));
        Assert.Equal((409, ErrorTypes.MemberState), (last.Status, last.Type));
        Assert.Contains("coffer mfa add-security-key", last.Problem?.Detail, StringComparison.Ordinal);

        // A second pending sign-in may not add a key past the first: it must present the one it has.
        using SignInResult pending = await RawOwnerSignInAsync(org, "0190a1b2-0000-7000-8000-0000000000c2");
        CofferApiException beyond = await Assert.ThrowsAsync<CofferApiException>(() => new MfaClient(pending.Session).BeginSecurityKeyRegistrationAsync("Spare"));
        Assert.Equal((403, ErrorTypes.MfaRequired), (beyond.Status, beyond.Type));

        // With a second factor (TOTP, added with a fresh factor), removing the key needs a fresh factor too.
        TotpEnrolment totp = await mfa.EnrolTotpAsync("Phone");
        org.OwnerAuthenticator.Load(totp.Uri);
        await mfa.ConfirmTotpAsync(totp.FactorId, org.OwnerAuthenticator.NextCode().Code);
        clock.Advance(TimeSpan.FromMinutes(6));
        CofferApiException stale = await Assert.ThrowsAsync<CofferApiException>(() => mfa.RemoveAsync(keyId));
        Assert.Equal(ErrorTypes.StepUpRequired, stale.Type);
        first.Session.StepUpHandler = new MfaStepUp(fx.Handler("es256"));
        await mfa.RemoveAsync(keyId);
        Assert.DoesNotContain((await mfa.ListAsync()).Factors, f => f.Kind == MfaKinds.SecurityKey);
        Assert.Contains(await MfaTests.EventsAsync(org), e => e.Action == AuditActions.MfaFactorRemove && e.TargetId == keyId);
    }

    [Theory, BothEngines]
    public async Task SecurityKeys_PolicyWithoutThem_OrServerWithoutHostName_Refused(Engine engine)
    {
        Fixtures fx = new();
        await using (TestOrganisation org = await StartAsync(engine, fx))
        {
            (SignInResult owner, UnlockedAccount keys) = await org.SignInAndUnlockOwnerAsync();
            using SignInResult ownerSignIn = owner;
            await RegisterAsync(owner, fx, "es256-none");
            PolicyClient policies = new(owner.Session, keys);
            OrganisationPolicy policy = await policies.GetAsync();
            await policies.UpdateAsync(policy.Version, policy.Settings with { MfaKinds = [MfaKinds.Totp] });
            MfaClient mfa = new(owner.Session);
            CofferApiException register = await Assert.ThrowsAsync<CofferApiException>(() => mfa.BeginSecurityKeyRegistrationAsync("Another"));
            Assert.Equal((403, ErrorTypes.Forbidden), (register.Status, register.Type));
            CofferApiException assert = await Assert.ThrowsAsync<CofferApiException>(() => mfa.BeginSecurityKeyAssertionAsync());
            Assert.Equal((403, ErrorTypes.Forbidden), (assert.Status, assert.Type));
        }

        // A server known only by an IP address cannot be a relying party: it says so instead of handing out options.
        await using TestOrganisation byIp = await TestOrganisation.StartAsync(engine, settings: new Dictionary<string, string?> { ["Coffer:PublicUrl"] = "http://127.0.0.1:8443" });
        using SignInResult signIn = await byIp.SignInOwnerAsync();
        CofferApiException unavailable = await Assert.ThrowsAsync<CofferApiException>(() => new MfaClient(signIn.Session).BeginSecurityKeyRegistrationAsync("Key"));
        Assert.Equal((403, ErrorTypes.Forbidden), (unavailable.Status, unavailable.Type));
        Assert.Contains("IP address", unavailable.Problem?.Detail, StringComparison.Ordinal);
    }

    private static async Task<TestOrganisation> StartAsync(Engine engine, Fixtures fx, ManualClock? clock = null, CapturedLogs? logs = null) =>
        await TestOrganisation.StartAsync(engine, settings: new Dictionary<string, string?> { ["Coffer:WebAuthn:Origin"] = Origin }, clock: clock,
            configure: b =>
            {
                b.Services.AddSingleton<IWebAuthnChallenges>(fx);
                if (logs is not null)
                {
                    b.Logging.AddProvider(logs);
                }
            });

    private static async Task RegisterAsync(SignInResult signIn, Fixtures fx, string fixture)
    {
        MfaClient mfa = new(signIn.Session);
        fx.QueueRegistration(fixture);
        SecurityKeyRegistrationOptionsResponse options = await mfa.BeginSecurityKeyRegistrationAsync(fixture);
        await mfa.FinishSecurityKeyRegistrationAsync(options.CeremonyId, Fixtures.Registration(fixture));
    }

    private static async Task AssertFailedAsync(Task<MfaAcceptedResponse> call)
    {
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => call);
        Assert.Equal((400, ErrorTypes.MfaFailed), (e.Status, e.Type));
    }

    private static Task<SignInResult> RawOwnerSignInAsync(TestOrganisation org, string deviceId) =>
        SignIn.SignInAsync(org.Connection, TestOrganisation.OwnerEmail, TestOrganisation.Password, TestOrganisation.Setup.SecretKey, deviceId, Device,
            TestOrganisation.Policy);

    private static async Task<long> ScalarAsync(TestOrganisation org, string sql, string v)
    {
        await using DbConnection c = await org.Server.Services.GetRequiredService<IDatabase>().OpenAsync(CancellationToken.None);
        return await c.ScalarAsync<long>(null, sql, new { v }, CancellationToken.None);
    }

    /// <summary>
    /// testdata/webauthn/fixtures.json, and the challenge source the server draws from: a queued fixture challenge, else random
    /// bytes (so an unqueued ceremony's challenge is one no fixture signed).
    /// </summary>
    private sealed class Fixtures : IWebAuthnChallenges
    {
        private static readonly Lazy<JsonDocument> Document = new(() => TestData.Json("webauthn", "fixtures.json"));
        private readonly Queue<byte[]> _challenges = new();

        public byte[] Next()
        {
            lock (_challenges)
            {
                return _challenges.Count > 0 ? _challenges.Dequeue() : RandomNumberGenerator.GetBytes(32);
            }
        }

        public void QueueRegistration(string name) => Queue(Find("registrations", name));

        public void QueueAssertion(string name) => Queue(Find("assertions", name));

        public static string CredentialId(string registration) => Find("registrations", registration).GetProperty("credentialId").GetString()!;

        public static WebAuthnRegistrationCredentialDto Registration(string name)
        {
            JsonElement f = Find("registrations", name);
            string id = f.GetProperty("credentialId").GetString()!;
            return new(id, id, "public-key", new WebAuthnAttestationResponseDto(f.GetProperty("clientDataJSON").GetString()!,
                f.GetProperty("attestationObject").GetString()!, ["usb"]));
        }

        public static WebAuthnAssertionCredentialDto Assertion(string name)
        {
            JsonElement f = Find("assertions", name);
            string id = f.GetProperty("credentialId").GetString()!;
            return new(id, id, "public-key", new WebAuthnAssertionResponseDto(f.GetProperty("clientDataJSON").GetString()!,
                f.GetProperty("authenticatorData").GetString()!, f.GetProperty("signature").GetString()!, null));
        }

        /// <summary>An <see cref="IMfaHandler"/> that chooses its security key and answers with the assertion fixture <paramref name="name"/>.</summary>
        public IMfaHandler Handler(string name) => new KeyHandler(this, name);

        private void Queue(JsonElement fixture)
        {
            lock (_challenges)
            {
                _challenges.Enqueue(Base64Url.Decode(fixture.GetProperty("challenge").GetString()!));
            }
        }

        private static JsonElement Find(string list, string name) =>
            Document.Value.RootElement.GetProperty(list).EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

        private sealed class KeyHandler(Fixtures fx, string name) : IMfaHandler
        {
            public Task<MfaCode> GetCodeAsync(IReadOnlyList<string> methods, CancellationToken cancellationToken)
            {
                Assert.Contains(MfaKinds.SecurityKey, methods);
                fx.QueueAssertion(name);   // the ceremony about to start signs this fixture's challenge
                return Task.FromResult(MfaCode.SecurityKey);
            }

            public Task<string> EnrolAsync(TotpEnrolment enrolment, CancellationToken cancellationToken) =>
                throw new InvalidOperationException("Not enrolling here.");

            public Task<WebAuthnAssertionCredentialDto> GetSecurityKeyAssertionAsync(WebAuthnRequestOptionsDto options, CancellationToken cancellationToken)
            {
                Assert.Equal("localhost", options.RpId);
                return Task.FromResult(Fixtures.Assertion(name));
            }
        }
    }
}
