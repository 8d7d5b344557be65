using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Sessions;
using Coffer.Contracts.Setup;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Envelopes;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;

namespace Coffer.Server.Tests.Features.Auth;

public class SignInTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    [Theory, BothEngines]
    public async Task SetupSignInUnlock_OwnerGetsEveryGroupKeyAndTheRootKey(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult signIn = await org.SignInOwnerAsync();
        using (signIn.Session)
        {
            Assert.False(signIn.Mfa.Required);
            Assert.Equal(TestOrganisation.OwnerId, signIn.Session.MemberId);
            AccountKeysResponse keys = await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/account/keys", Json.AccountKeysResponse);
            using EnvelopeKey auk = signIn.AccountKeys.CreateAukKey();
            using UnlockedAccount account = AccountUnlock.WithAuk(keys, auk, signIn.Kdf.Iterations, TestOrganisation.Setup.Account, new Pins(), TimeProvider.System);
            Assert.Equal(5, account.Groups.Count);
            Assert.NotNull(account.RootKey);
            Assert.NotNull(account.IssuerKey);
        }
    }

    [Theory, BothEngines]
    public async Task SignInAgain_WithTheKeysOfAnEarlierSignIn_OpensANewSession_AndRefusesChangedKdfParameters(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult first = await org.SignInOwnerAsync();
        DeviceInfoDto device = new("Test laptop", "linux-cli", "0.1.0");
        using SignInResult again = await SignIn.SignInAgainAsync(org.Connection, TestOrganisation.OwnerEmail, TestOrganisation.Setup.SecretKey.AccountId,
            "0190a1b2-0000-7000-8000-00000000d001", device, first.AccountKeys, first.Kdf);
        SessionListResponse sessions = await again.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", CofferJsonContext.Default.SessionListResponse);
        Assert.Equal(2, sessions.Sessions.Count);
        Assert.Equal(first.AccountKeys.AukBytes.ToArray(), again.AccountKeys.AukBytes.ToArray());

        CofferProtocolException changed = await Assert.ThrowsAsync<CofferProtocolException>(() => SignIn.SignInAgainAsync(org.Connection,
            TestOrganisation.OwnerEmail, TestOrganisation.Setup.SecretKey.AccountId, "0190a1b2-0000-7000-8000-00000000d001", device, first.AccountKeys,
            first.Kdf with { Iterations = first.Kdf.Iterations + 1 }));
        Assert.Contains("sign in with the password", changed.Message, StringComparison.Ordinal);
    }

    [Theory, BothEngines]
    public async Task WrongPasswordOrSecretKey_AndUnknownEmail_AllFailTheSameWay(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        CofferApiException wrongPassword = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(password: "not the password at all"));
        using SecretKey otherKey = SecretKey.Generate(TestOrganisation.Setup.SecretKey.AccountId);
        CofferApiException wrongKey = await Assert.ThrowsAsync<CofferApiException>(() => SignIn.SignInAsync(org.Connection, TestOrganisation.OwnerEmail,
            TestOrganisation.Password, otherKey, "0190a1b2-0000-7000-8000-00000000d002", new DeviceInfoDto("x", "linux-cli", "0.1.0"), TestOrganisation.Policy));
        Assert.Equal(ErrorTypes.SignInFailed, wrongPassword.Type);
        Assert.Equal(ErrorTypes.SignInFailed, wrongKey.Type);
        Assert.Equal(401, wrongPassword.Status);

        // An unknown email walks the whole exchange and fails identically; its decoy id is stable and plausible.
        AuthStartResponse first = await Start(org, "nobody@example.org");
        AuthStartResponse second = await Start(org, "NOBODY@example.org");
        Assert.Equal(first.MemberId, second.MemberId);
        Assert.Equal(first.Kdf.Salt, second.Kdf.Salt);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", first.MemberId);
        Assert.Equal(650_000, first.Kdf.Iterations);
        CofferApiException unknown = await Assert.ThrowsAsync<CofferApiException>(() => SignIn.SignInAsync(org.Connection, "nobody@example.org",
            TestOrganisation.Password, TestOrganisation.Setup.SecretKey, "0190a1b2-0000-7000-8000-00000000d003", new DeviceInfoDto("x", "linux-cli", "0.1.0"),
            Crypto.Kdf.KdfPolicy.ForTesting(1000)));
        Assert.Equal(ErrorTypes.SignInFailed, unknown.Type);
    }

    [Theory, BothEngines]
    public async Task RepeatedFailures_AreThrottledWithRetryAfter_AndTheLockedAnswerSaysNothingOfThePassword(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        for (int i = 0; i < 4; i++)
        {
            await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(password: "wrong password number " + i));
        }
        // Now even the right password is answered with a delay, exactly as a wrong one would be.
        CofferApiException right = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync());
        Assert.Equal(ErrorTypes.TooManyAttempts, right.Type);
        Assert.Equal(429, right.Status);
        Assert.True(right.RetryAfterSeconds is >= 1);
        CofferApiException wrong = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(password: "still wrong"));
        Assert.Equal(ErrorTypes.TooManyAttempts, wrong.Type);
    }

    [Theory, BothEngines]
    public async Task Setup_SecondTimeOrWithAWrongToken_IsRefused_AndWritesNothing(Engine engine)
    {
        await using TestOrganisation fresh = await TestOrganisation.StartAsync(engine, setUp: false);
        SetupStatusResponse status = await fresh.Connection.GetAsync("/api/v1/setup", Json.SetupStatusResponse);
        Assert.True(status.Required);
        CofferApiException badToken = await Assert.ThrowsAsync<CofferApiException>(() => fresh.Connection.PostAsync("/api/v1/setup",
            TestOrganisation.Setup.Request with { Token = Protocol.Encoding.Base64Url.Encode(new byte[32]) }, Json.SetupRequest, Json.SetupResponse));
        Assert.Equal(ErrorTypes.Forbidden, badToken.Type);
        Assert.True((await fresh.Connection.GetAsync("/api/v1/setup", Json.SetupStatusResponse)).Required);

        string token = await fresh.SetupTokenAsync();
        await fresh.Connection.PostAsync("/api/v1/setup", TestOrganisation.Setup.Request with { Token = token }, Json.SetupRequest, Json.SetupResponse);
        Assert.False((await fresh.Connection.GetAsync("/api/v1/setup", Json.SetupStatusResponse)).Required);
        CofferApiException again = await Assert.ThrowsAsync<CofferApiException>(() => fresh.Connection.PostAsync("/api/v1/setup",
            TestOrganisation.Setup.Request with { Token = token }, Json.SetupRequest, Json.SetupResponse));
        Assert.Equal(ErrorTypes.AlreadySetUp, again.Type);
    }

    [Theory, BothEngines]
    public async Task Sessions_ListAndEndOwn_OtherIdsAre404_SignOutEndsTheSession(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult laptop = await org.SignInOwnerAsync();
        using SignInResult phone = await org.SignInOwnerAsync(deviceId: "0190a1b2-0000-7000-8000-00000000d00f");
        SessionListResponse list = await laptop.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse);
        Assert.Equal(2, list.Sessions.Count);
        Assert.Single(list.Sessions, s => s.Current && s.SessionId == laptop.Session.SessionId);

        CofferApiException notFound = await Assert.ThrowsAsync<CofferApiException>(() =>
            laptop.Session.SendAsync(HttpMethod.Delete, "/api/v1/sessions/0190a1b2-0000-7000-8000-0000000000ff"));
        Assert.Equal(404, notFound.Status);
        Assert.Equal(ErrorTypes.NotFound, notFound.Type);

        await laptop.Session.SendAsync(HttpMethod.Delete, "/api/v1/sessions/" + phone.Session.SessionId);
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => phone.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));

        await laptop.Session.SendAsync(HttpMethod.Post, "/api/v1/auth/signout");
        await Assert.ThrowsAsync<CofferSessionExpiredException>(() => laptop.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse));
    }

    private static Task<AuthStartResponse> Start(TestOrganisation org, string email) =>
        org.Connection.PostAsync("/api/v1/auth/start",
            new AuthStartRequest(email, TestOrganisation.Setup.SecretKey.AccountId, "0190a1b2-0000-7000-8000-00000000d0aa", new DeviceInfoDto("x", "linux-cli", "0.1.0")),
            Json.AuthStartRequest, Json.AuthStartResponse);
}
