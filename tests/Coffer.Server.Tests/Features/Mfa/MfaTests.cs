using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Mfa;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Mfa;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Microsoft.AspNetCore.Routing;

namespace Coffer.Server.Tests.Features.Mfa;

/// <summary>Second factors at sign-in (docs/adr/0022): TOTP (RFC 6238), backup codes, remembered devices, the pending session.</summary>
public sealed class MfaTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly DeviceInfoDto Device = new("Second laptop", "linux-cli", "0.1.0");

    [Theory, BothEngines]
    public async Task SignIn_MemberWithoutFactor_IsPendingUntilTotpEnrolledAndConfirmed(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult signIn = await RawOwnerSignInAsync(org, "0190a1b2-0000-7000-8000-0000000000a1");
        Assert.True(signIn.Mfa.Required);
        Assert.True(signIn.Mfa.EnrolmentRequired);
        Assert.Equal([MfaKinds.Totp], signIn.Mfa.Methods);   // the default policy allows security keys too; this server has no host name (docs/adr/0026)
        CofferApiException refused = await Assert.ThrowsAsync<CofferApiException>(() => signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse));
        Assert.Equal((403, ErrorTypes.MfaRequired), (refused.Status, refused.Type));

        MfaClient mfa = new(signIn.Session);
        TotpEnrolment enrolment = await mfa.EnrolTotpAsync("Phone");
        Assert.StartsWith("otpauth://totp/", enrolment.Uri, StringComparison.Ordinal);
        Assert.False(Assert.Single((await mfa.ListAsync()).Factors).Active);
        org.OwnerAuthenticator.Load(enrolment.Uri);
        await mfa.ConfirmTotpAsync(enrolment.FactorId, org.OwnerAuthenticator.NextCode().Code);

        Assert.NotNull(await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse));
        Assert.True(Assert.Single((await mfa.ListAsync()).Factors).Active);
        List<AuditEventRow> events = await EventsAsync(org);
        Assert.Contains(events, e => e.Action == AuditActions.MfaFactorAdd && e.Outcome == AuditOutcomes.Success);
        Assert.Contains(events, e => e.Action == AuditActions.MfaVerify && e.Details == "{\"kind\":\"totp\"}");

        // That device is remembered: signing in on it again asks for nothing.
        using SignInResult again = await RawOwnerSignInAsync(org, "0190a1b2-0000-7000-8000-0000000000a1");
        Assert.False(again.Mfa.Required);
    }

    [Theory, BothEngines]
    public async Task Verify_TotpCode_AcceptedOnceWithinOneStepEitherSide(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.FromUnixTimeSeconds(1_900_000_005));   // 5 s into a step
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (await org.SignInOwnerAsync()).Dispose();   // enrols the Owner's authenticator with the code of this step
        TimeSpan step = TimeSpan.FromSeconds(30);
        clock.Advance(2 * step);
        DateTimeOffset now = clock.GetUtcNow();

        Assert.Equal(MfaKinds.Totp, await PresentOnNewDeviceAsync(org, org.OwnerAuthenticator.CodeAt(now - step)));          // the previous step
        await AssertRefusedAsync(org, org.OwnerAuthenticator.CodeAt(now - step));                                            // the same code again
        Assert.Equal(MfaKinds.Totp, await PresentOnNewDeviceAsync(org, org.OwnerAuthenticator.CodeAt(now + step)));          // the next step
        await AssertRefusedAsync(org, org.OwnerAuthenticator.CodeAt(now));      // not newer than the last step accepted
        await AssertRefusedAsync(org, org.OwnerAuthenticator.CodeAt(now + (2 * step)));                                      // two steps ahead
        await AssertRefusedAsync(org, org.OwnerAuthenticator.CodeAt(now + step) == "000000" ? "111111" : "000000");          // wrong
        clock.Advance(2 * step);
        Assert.Equal(MfaKinds.Totp, await PresentOnNewDeviceAsync(org, org.OwnerAuthenticator.CodeAt(clock.GetUtcNow())));   // time moved on

        List<AuditEventRow> events = await EventsAsync(org);
        Assert.Equal(4, events.Count(e => e.Action == AuditActions.MfaVerify && e.Outcome == AuditOutcomes.Failure));
    }

    [Theory, BothEngines]
    public async Task BackupCodes_EachWorksOnce_RegeneratingVoidsTheOldOnes(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        using SignInResult owner = await org.SignInOwnerAsync();
        MfaClient mfa = new(owner.Session);
        IReadOnlyList<string> codes = await mfa.RegenerateBackupCodesAsync();
        Assert.Equal(10, codes.Count);
        Assert.Equal(10, codes.Distinct(StringComparer.Ordinal).Count());
        Assert.All(codes, c => Assert.Matches("^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$", c));

        Assert.Equal(MfaKinds.BackupCode, await PresentOnNewDeviceAsync(org, codes[0], MfaKinds.BackupCode));
        await AssertRefusedAsync(org, codes[0], MfaKinds.BackupCode);
        Assert.Equal(MfaKinds.BackupCode, await PresentOnNewDeviceAsync(org, codes[1].ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal), MfaKinds.BackupCode));
        Assert.Equal(8, (await mfa.ListAsync()).BackupCodesLeft);

        IReadOnlyList<string> fresh = await mfa.RegenerateBackupCodesAsync();
        await AssertRefusedAsync(org, codes[2], MfaKinds.BackupCode);
        Assert.Equal(MfaKinds.BackupCode, await PresentOnNewDeviceAsync(org, fresh[0], MfaKinds.BackupCode));

        List<AuditEventRow> events = await EventsAsync(org);
        Assert.Equal(3, events.Count(e => e.Action == AuditActions.MfaBackupCodesRegenerate));   // the harness's, and these two
        Assert.Equal(3, events.Count(e => e.Action == AuditActions.MfaVerify && e.Outcome == AuditOutcomes.Success && e.Details!.Contains("backup_code", StringComparison.Ordinal)));
    }

    [Theory, BothEngines]
    public async Task PendingSession_EveryEndpointButMfaAndSignOut_AnswersMfaRequired(Engine engine)
    {
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine);
        (await org.SignInOwnerAsync()).Dispose();
        using SignInResult pending = await RawOwnerSignInAsync(org, "0190a1b2-0000-7000-8000-0000000000a2");
        Assert.True(pending.Mfa.Required);
        Assert.Equal([MfaKinds.Totp, MfaKinds.BackupCode], pending.Mfa.Methods);

        List<(string Method, string Path)> refused = [.. org.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<RequiresCofferSession>() is not null && e.Metadata.GetMetadata<AllowedWhileMfaPending>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, Fill(e.RoutePattern.RawText!))))];
        Assert.True(refused.Count >= 40, $"found only {refused.Count} endpoints");
        foreach ((string method, string path) in refused)
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => pending.Session.SendAsync(new HttpMethod(method), path));
            Assert.True((e.Status, e.Type) == (403, ErrorTypes.MfaRequired), $"{method} {path}: {e.Status} {e.Type}");
        }
        // A second factor cannot be enrolled past the first with only the password and Secret Key.
        CofferApiException enrol = await Assert.ThrowsAsync<CofferApiException>(() => new MfaClient(pending.Session).EnrolTotpAsync("Attacker's phone"));
        Assert.Equal(ErrorTypes.MfaRequired, enrol.Type);
    }

    private static string Fill(string pattern) =>
        "/" + System.Text.RegularExpressions.Regex.Replace(pattern.Trim('/'), "\\{[^}]+\\}", "0190a1b2-0000-7000-8000-0000000000ee");

    private static Task<SignInResult> RawOwnerSignInAsync(TestOrganisation org, string deviceId) =>
        SignIn.SignInAsync(org.Connection, TestOrganisation.OwnerEmail, TestOrganisation.Password, TestOrganisation.Setup.SecretKey, deviceId, Device,
            TestOrganisation.Policy);

    /// <summary>Signs the Owner in on a device never seen and presents <paramref name="code"/>; the kind accepted.</summary>
    private static async Task<string> PresentOnNewDeviceAsync(TestOrganisation org, string code, string kind = MfaKinds.Totp)
    {
        using SignInResult signIn = await RawOwnerSignInAsync(org, Guid.CreateVersion7().ToString("D"));
        Assert.True(signIn.Mfa.Required);
        MfaAcceptedResponse accepted = await new MfaClient(signIn.Session).VerifyAsync(kind, code);
        Assert.NotNull(await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/vaults", Json.VaultListResponse));
        return accepted.Kind;
    }

    private static async Task AssertRefusedAsync(TestOrganisation org, string code, string kind = MfaKinds.Totp)
    {
        using SignInResult signIn = await RawOwnerSignInAsync(org, Guid.CreateVersion7().ToString("D"));
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => new MfaClient(signIn.Session).VerifyAsync(kind, code));
        Assert.Equal((400, ErrorTypes.MfaFailed), (e.Status, e.Type));
    }

    internal static async Task<List<AuditEventRow>> EventsAsync(TestOrganisation org)
    {
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        return await org.Server.Services.GetRequiredService<AuditStore>().EventsAsync(0, 1000, CancellationToken.None);
    }
}
