using Coffer.Contracts;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Errors;
using Coffer.Contracts.Members;
using Coffer.Contracts.Mfa;
using Coffer.Contracts.Policies;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Members;
using Coffer.Sdk.Mfa;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Coffer.Server.Tests.Features.Mfa;

namespace Coffer.Server.Tests.Features.Auth;

/// <summary>POLICY.md "Brute force" end to end (docs/adr/0025): the bounds, the lock, who escapes it, who releases it.</summary>
public class BruteForceTests
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;
    private static readonly DeviceInfoDto Device = new("Someone's laptop", "linux-cli", "0.1.0");
    private const string OwnerDevice = "0190a1b2-0000-7000-8000-00000000d001";
    private const string AttackerDevice = "0190a1b2-0000-7000-8000-0000000000f1";
    private static readonly TimeSpan LockDuration = TimeSpan.FromHours(1);

    [Theory, BothEngines]
    public async Task PasswordFailures_ThreeFreeThenDoublingDelays_LockUnknownDevicesAtTen_TheOwnersKnownDeviceIsOnlyDelayed(Engine engine)
    {
        ManualClock clock = Clock();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (await org.SignInOwnerAsync()).Dispose();   // enrols on the Owner's laptop: a known device from now on

        List<int> delays = await FailAsync(clock, 10, () => org.SignInOwnerAsync(password: "a wrong password", deviceId: AttackerDevice));
        Assert.Equal([1, 2, 4, 8, 16, 32], delays);   // none after the first three failures, then doubling

        // Locked for unknown devices: the right password is answered exactly as a wrong one, before any proof is looked at.
        CofferApiException right = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(deviceId: AttackerDevice));
        CofferApiException wrong = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(password: "wrong again", deviceId: AttackerDevice));
        Assert.Equal((429, ErrorTypes.TooManyAttempts), (right.Status, right.Type));
        Assert.Equal((right.Status, right.Type, right.Problem?.Detail, right.RetryAfterSeconds), (wrong.Status, wrong.Type, wrong.Problem?.Detail, wrong.RetryAfterSeconds));
        Assert.Equal((int)LockDuration.TotalSeconds, right.RetryAfterSeconds);
        CofferApiException otherNewDevice = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(deviceId: NewDevice()));
        Assert.Equal(429, otherNewDevice.Status);

        // The last Owner's own laptop is only delayed (the account's delay, a minute at most), then signs in.
        CofferApiException delayed = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync());
        Assert.Equal((429, 60), (delayed.Status, delayed.RetryAfterSeconds));
        clock.Advance(TimeSpan.FromSeconds(60));
        (await org.SignInOwnerAsync()).Dispose();

        // Its success cleared the password failures, not the lock: unknown devices wait out the hour.
        CofferApiException stillLocked = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(deviceId: AttackerDevice));
        Assert.Equal(429, stillLocked.Status);
        Assert.InRange(stillLocked.RetryAfterSeconds ?? 0, 3000, 3600);
        clock.Advance(LockDuration);
        (await org.SignInOwnerAsync(deviceId: NewDevice())).Dispose();

        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        AuditEventRow[] failures = [.. events.Where(e => e.Action == AuditActions.SignIn && e.Outcome == AuditOutcomes.Failure)];
        Assert.Equal(10, failures.Length);
        Assert.Single(failures, e => e.Details == "{\"locked\":true}");
        Assert.Contains(events, e => e.Action == AuditActions.SignIn && e.Outcome == AuditOutcomes.Refused && e.Details == "{\"reason\":\"throttled\"}");
    }

    [Theory, BothEngines]
    public async Task UnknownEmail_IsDelayedAndLockedExactlyLikeAKnownOne(Engine engine)
    {
        ManualClock clock = Clock();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        string knownDevice = NewDevice(), unknownDevice = NewDevice();
        Task<SignInResult> Known() => SignIn.SignInAsync(org.Connection, TestOrganisation.OwnerEmail, "a wrong password", TestOrganisation.Setup.SecretKey,
            knownDevice, Device, TestOrganisation.Policy);
        Task<SignInResult> Unknown() => SignIn.SignInAsync(org.Connection, "nobody@example.org", "a wrong password", TestOrganisation.Setup.SecretKey,
            unknownDevice, Device, TestOrganisation.Policy);

        for (int failure = 1; failure <= 10; failure++)
        {
            CofferApiException k = await Assert.ThrowsAsync<CofferApiException>(Known);
            CofferApiException u = await Assert.ThrowsAsync<CofferApiException>(Unknown);
            Assert.Equal((401, ErrorTypes.SignInFailed), (k.Status, k.Type));
            Assert.Equal((k.Status, k.Type, k.Problem?.Detail), (u.Status, u.Type, u.Problem?.Detail));
            if (failure < 4)
            {
                continue;
            }
            // The next attempt is refused the same way for both, with the same wait.
            CofferApiException kWait = await Assert.ThrowsAsync<CofferApiException>(Known);
            CofferApiException uWait = await Assert.ThrowsAsync<CofferApiException>(Unknown);
            Assert.Equal((429, ErrorTypes.TooManyAttempts), (kWait.Status, kWait.Type));
            Assert.Equal((kWait.Status, kWait.Type, kWait.Problem?.Detail, kWait.RetryAfterSeconds),
                (uWait.Status, uWait.Type, uWait.Problem?.Detail, uWait.RetryAfterSeconds));
            if (failure == 10)
            {
                Assert.Equal((int)LockDuration.TotalSeconds, uWait.RetryAfterSeconds);
            }
            else
            {
                clock.Advance(TimeSpan.FromSeconds(kWait.RetryAfterSeconds!.Value));
            }
        }
    }

    [Theory, BothEngines]
    public async Task ManyAccountsFromOneIp_OnlyOneFailureEach_AreDelayedTogether(Engine engine)
    {
        ManualClock clock = Clock();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        for (int i = 0; i < 31; i++)
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => SignIn.SignInAsync(org.Connection, $"guess{i}@example.org",
                "a wrong password", TestOrganisation.Setup.SecretKey, NewDevice(), Device, TestOrganisation.Policy));
            Assert.Equal(401, e.Status);   // each email and device failed once: only the IP's count grows
        }
        // Thirty failures from one address are free; the thirty-first delays every account tried from it, the Owner's on a fresh device too.
        CofferApiException delayed = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(deviceId: NewDevice()));
        Assert.Equal((429, 1), (delayed.Status, delayed.RetryAfterSeconds));
        clock.Advance(TimeSpan.FromSeconds(1));
        (await org.SignInOwnerAsync(deviceId: NewDevice())).Dispose();
    }

    [Theory, BothEngines]
    public async Task CodeFailures_TotpAndBackupCodesCountTogether_PasswordSuccessDoesNotResetThem_AndLockUnknownDevices(Engine engine)
    {
        ManualClock clock = Clock();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (await org.SignInOwnerAsync()).Dispose();
        string stolenLaptop = NewDevice();
        using SignInResult pending = await PasswordOnlyAsync(org, stolenLaptop);
        Assert.True(pending.Mfa.Required);
        MfaClient mfa = new(pending.Session);
        string wrongTotp = org.OwnerAuthenticator.CodeAt(clock.GetUtcNow()) == "000000" ? "111111" : "000000";
        const string WrongBackup = "AAAA-BBBB-CCCC-DDDD";

        await AssertCodeFailedAsync(mfa, MfaKinds.Totp, wrongTotp);
        await AssertCodeFailedAsync(mfa, MfaKinds.BackupCode, WrongBackup);
        await AssertCodeFailedAsync(mfa, MfaKinds.Totp, wrongTotp);
        await AssertCodeFailedAsync(mfa, MfaKinds.BackupCode, WrongBackup);
        // Four failures: even the right code now waits a second, answered like a wrong one.
        CofferApiException right = await Assert.ThrowsAsync<CofferApiException>(() => mfa.VerifyAsync(MfaKinds.Totp, org.OwnerAuthenticator.CodeAt(clock.GetUtcNow())));
        CofferApiException wrong = await Assert.ThrowsAsync<CofferApiException>(() => mfa.VerifyAsync(MfaKinds.Totp, wrongTotp));
        Assert.Equal((429, ErrorTypes.TooManyAttempts, 1), (right.Status, right.Type, right.RetryAfterSeconds));
        Assert.Equal((right.Status, right.Type, right.Problem?.Detail, right.RetryAfterSeconds), (wrong.Status, wrong.Type, wrong.Problem?.Detail, wrong.RetryAfterSeconds));

        // Signing in with the password again does not wipe the guessed codes: the fifth failure owes two seconds.
        clock.Advance(TimeSpan.FromSeconds(1));
        using SignInResult again = await PasswordOnlyAsync(org, stolenLaptop);
        MfaClient mfaAgain = new(again.Session);
        await AssertCodeFailedAsync(mfaAgain, MfaKinds.Totp, wrongTotp);
        CofferApiException fifth = await Assert.ThrowsAsync<CofferApiException>(() => mfaAgain.VerifyAsync(MfaKinds.Totp, wrongTotp));
        Assert.Equal((429, 2), (fifth.Status, fifth.RetryAfterSeconds));
        clock.Advance(TimeSpan.FromSeconds(2));
        List<int> delays = await FailAsync(clock, 5, () => mfaAgain.VerifyAsync(MfaKinds.BackupCode, WrongBackup), alreadyFailed: 5);
        Assert.Equal([4, 8, 16, 32], delays);

        // Ten failures: the account is locked for unknown devices, this session's included, whatever the code.
        CofferApiException locked = await Assert.ThrowsAsync<CofferApiException>(() => mfaAgain.VerifyAsync(MfaKinds.Totp, org.OwnerAuthenticator.CodeAt(clock.GetUtcNow())));
        Assert.Equal((429, (int)LockDuration.TotalSeconds), (locked.Status, locked.RetryAfterSeconds));
        CofferApiException newDevice = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(deviceId: NewDevice()));
        Assert.Equal(429, newDevice.Status);
        // The Owner's laptop waits out the account's delay and signs in.
        clock.Advance(TimeSpan.FromSeconds(60));
        (await org.SignInOwnerAsync()).Dispose();

        List<AuditEventRow> events = await MfaTests.EventsAsync(org);
        AuditEventRow[] failures = [.. events.Where(e => e.Action == AuditActions.MfaVerify && e.Outcome == AuditOutcomes.Failure)];
        Assert.Equal(10, failures.Length);
        Assert.Contains(failures, e => e.Details == "{\"kind\":\"totp\"}");
        Assert.Contains(failures, e => e.Details == "{\"kind\":\"backup_code\"}");
        Assert.Single(failures, e => e.Details == "{\"kind\":\"backup_code\",\"locked\":true}");
        Assert.Contains(events, e => e.Action == AuditActions.MfaVerify && e.Outcome == AuditOutcomes.Refused && e.Details == "{\"reason\":\"throttled\"}");
    }

    [Theory, BothEngines]
    public async Task Unlock_AnAdministratorReleasesTheLock_TheGuessingDeviceStaysDelayed_MembersCannot(Engine engine)
    {
        ManualClock clock = new(DateTimeOffset.UtcNow);   // the member's certificate is signed on the system clock and checked on this one
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        (SignInResult owner, UnlockedAccount ownerKeys) = await org.SignInAndUnlockOwnerAsync();
        using (owner)
        using (ownerKeys)
        {
            using TestMember bob = await org.AddMemberAsync(owner, ownerKeys, "bob@example.org");
            using SignInResult bobSession = await bob.SignInAsync();
            await FailAsync(clock, 10, () => bob.SignInAsync(password: "a wrong password", deviceId: AttackerDevice));
            string bobsNewPhone = NewDevice();
            Assert.Equal(429, (await Assert.ThrowsAsync<CofferApiException>(() => bob.SignInAsync(deviceId: bobsNewPhone))).Status);

            // A member without manage_members cannot release anyone (themselves included); an unknown id is 404.
            CofferApiException forbidden = await Assert.ThrowsAsync<CofferApiException>(() => new MemberDirectory(bobSession.Session).UnlockAsync(bob.MemberId));
            Assert.Equal(403, forbidden.Status);
            MemberDirectory directory = new(owner.Session);
            CofferApiException missing = await Assert.ThrowsAsync<CofferApiException>(() => directory.UnlockAsync("0190a1b2-0000-7000-8000-0000000000ee"));
            Assert.Equal((404, ErrorTypes.NotFound), (missing.Status, missing.Type));

            MemberUnlockResponse released = await directory.UnlockAsync(bob.MemberId);
            Assert.True(released.WasLocked);
            Assert.Equal(10, released.FailuresCleared);
            Assert.Equal(bob.MemberId, released.Member.Id);
            clock.Advance(TimeSpan.FromSeconds(30));   // a fresh TOTP step for the new phone; the lock had 59 minutes to go
            (await bob.SignInAsync(deviceId: bobsNewPhone)).Dispose();
            // The device that guessed keeps its own count.
            Assert.Equal(429, (await Assert.ThrowsAsync<CofferApiException>(() => bob.SignInAsync(deviceId: AttackerDevice))).Status);
            Assert.False((await directory.UnlockAsync(bob.MemberId)).WasLocked);

            List<AuditEventRow> events = await MfaTests.EventsAsync(org);
            AuditEventRow unlock = events.First(e => e.Action == AuditActions.MemberUnlock && e.Outcome == AuditOutcomes.Success);
            Assert.Equal((TestOrganisation.OwnerId, bob.MemberId, "{\"wasLocked\":true,\"failuresCleared\":10}"), (unlock.ActorMemberId, unlock.TargetId, unlock.Details));
            Assert.Contains(events, e => e.Action == AuditActions.MemberUnlock && e.Outcome == AuditOutcomes.Refused);
        }
    }

    [Theory, BothEngines]
    public async Task LockoutThreshold_LoweredThroughThePolicy_LocksAtTheNewNumberWithoutRestart(Engine engine)
    {
        ManualClock clock = Clock();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, clock: clock);
        using SignInResult owner = await org.SignInOwnerAsync();
        PolicyDocumentResponse current = await owner.Session.SendAsync(HttpMethod.Get, "/api/v1/policy", Json.PolicyDocumentResponse);
        await owner.Session.SendAsync(HttpMethod.Put, "/api/v1/policy",
            new PolicyUpdateRequest(current.Version, current.Settings with { LockoutThreshold = 3, LockoutDurationMinutes = 5 }),
            Json.PolicyUpdateRequest, Json.PolicyDocumentResponse);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(401, (await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(password: "a wrong password", deviceId: AttackerDevice))).Status);
        }
        // Three failures are still free of delays, but they reached the new threshold: the account is locked for five minutes.
        CofferApiException locked = await Assert.ThrowsAsync<CofferApiException>(() => org.SignInOwnerAsync(deviceId: NewDevice()));
        Assert.Equal((429, 300), (locked.Status, locked.RetryAfterSeconds));
        (await org.SignInOwnerAsync()).Dispose();   // the known laptop owes nothing yet
        clock.Advance(TimeSpan.FromMinutes(5));
        (await org.SignInOwnerAsync(deviceId: NewDevice())).Dispose();
    }

    /// <summary>
    /// Makes <paramref name="failures"/> failed attempts with <paramref name="attempt"/>, moving the clock through each delay the
    /// server asks for; returns the delays (seconds) in order.
    /// </summary>
    private static async Task<List<int>> FailAsync(ManualClock clock, int failures, Func<Task> attempt, int alreadyFailed = 0)
    {
        List<int> delays = [];
        bool waited = false;
        for (int failed = alreadyFailed; failed < alreadyFailed + failures;)
        {
            CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(attempt);
            if (e.Status == 429)
            {
                Assert.False(waited, "waiting the Retry-After the server gave was not enough");
                waited = true;
                delays.Add(e.RetryAfterSeconds!.Value);
                clock.Advance(TimeSpan.FromSeconds(e.RetryAfterSeconds.Value));
                continue;
            }
            Assert.True(e.Status is 400 or 401, $"unexpected {e.Status} {e.Type}");
            waited = false;
            failed++;
        }
        return delays;
    }

    private static async Task AssertCodeFailedAsync(MfaClient mfa, string kind, string code)
    {
        CofferApiException e = await Assert.ThrowsAsync<CofferApiException>(() => mfa.VerifyAsync(kind, code));
        Assert.Equal((400, ErrorTypes.MfaFailed), (e.Status, e.Type));
    }

    private static Task<SignInResult> PasswordOnlyAsync(TestOrganisation org, string deviceId) =>
        SignIn.SignInAsync(org.Connection, TestOrganisation.OwnerEmail, TestOrganisation.Password, TestOrganisation.Setup.SecretKey, deviceId, Device,
            TestOrganisation.Policy);

    private static ManualClock Clock() => new(DateTimeOffset.FromUnixTimeSeconds(1_900_000_005));

    private static string NewDevice() => Guid.CreateVersion7().ToString("D");
}
