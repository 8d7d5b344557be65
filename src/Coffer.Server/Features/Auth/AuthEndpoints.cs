using System.Globalization;
using System.Security.Cryptography;
using Coffer.Contracts.Auth;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Srp;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Devices;
using Coffer.Server.Features.Mfa;
using Coffer.Server.Features.Policies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Auth;

/// <remarks>
/// Anyone may call start, exchange and verify: they are how one proves who one is (SRP-6a,
/// PROTOCOL.md §3), and they reveal nothing — unknown emails get plausible decoy answers, and
/// failures are throttled per account, device and IP (POLICY.md). Sign-out runs in a session.
/// </remarks>
internal static partial class AuthEndpoints
{
    private static readonly TimeSpan AttemptLifetime = TimeSpan.FromMinutes(2);

    public static RouteGroupBuilder MapAuthEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/start", Start).WithName("Auth_Start");
        group.MapPost("/exchange", Exchange).WithName("Auth_Exchange");
        group.MapPost("/verify", Verify).WithName("Auth_Verify");
        return group;
    }

    internal static async Task<Results<Ok<AuthStartResponse>, ProblemHttpResult>> Start(AuthStartRequest request, HttpContext http,
        AuthStore store, AuthFailures failures, PolicyStore policies, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        string email = v.Email("email", request.Email);
        v.Check(request.AccountId is { Length: 6 }, "accountId", "must be the 6-character account id of the Secret Key");
        string deviceId = v.Id("deviceId", request.DeviceId);
        v.Text("deviceInfo.name", request.DeviceInfo.Name, 200);
        v.Text("deviceInfo.platform", request.DeviceInfo.Platform, 100);
        v.Text("deviceInfo.clientVersion", request.DeviceInfo.ClientVersion, 100);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        long now = clock.NowMs();
        string ip = ClientIp(http);
        OrganisationInfo? org = await store.OrganisationAsync(ct);
        SignInMember? member = org is not null && string.Equals(org.AccountId, request.AccountId, StringComparison.Ordinal)
            ? await store.FindMemberAsync(email, ct)
            : null;
        if (member is not null && member.SrpVerifier is null)
        {
            member = null;   // invited, has not chosen a password yet: indistinguishable from unknown
        }

        // Known and unknown emails do the same work (the same queries, the decoy computed either way), so
        // neither the answer nor its timing tells whether an account exists.
        DecoyIdentity decoy = await store.DecoyAsync(now, ct);
        string decoyId = decoy.MemberId(email, org?.CreatedAt ?? decoy.CreatedAt, decoy.CreatedAt);
        byte[] decoySalt = decoy.Salt(email);
        TimeSpan wait = await WaitAsync(failures, policies, member?.Id, decoyId, email, deviceId, ip, now, ct);
        if (wait > TimeSpan.Zero)
        {
            await audit.RecordAsync(new AuditEntry(now, member?.Id, deviceId, null, AuditEntry.CanonicalIp(ip), AuditActions.SignIn,
                member is null ? null : AuditTargets.Member, member?.Id, AuditOutcomes.Refused, AuditEntry.DetailsOf(("reason", "throttled"))), ct);
            return TooManyAttempts(http, wait);
        }

        string memberId = member?.Id ?? decoyId;
        KdfDto kdf = member is not null
            ? new KdfDto(member.KdfAlg!, Base64Url.Encode(member.KdfSalt!), (int)member.KdfIterations!.Value)
            : new KdfDto("coffer/2skd/v1", Base64Url.Encode(decoySalt), 650_000);
        AuthAttempt attempt = new()
        {
            Id = Ids.New(),
            MemberId = member?.Id,
            EmailNormalized = email,
            DeviceId = deviceId,
            DeviceName = request.DeviceInfo.Name,
            DevicePlatform = request.DeviceInfo.Platform,
            DeviceClientVersion = request.DeviceInfo.ClientVersion,
            Ip = ip,
            ExpiresAt = now + (long)AttemptLifetime.TotalMilliseconds,
        };
        await store.CreateAttemptAsync(attempt, now, ct);
        return TypedResults.Ok(new AuthStartResponse(attempt.Id, memberId, kdf));
    }

    internal static async Task<Results<Ok<AuthExchangeResponse>, ProblemHttpResult>> Exchange(AuthExchangeRequest request,
        AuthStore store, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        string authId = v.Id("authId", request.AuthId);
        byte[] a = v.Bytes("a", request.A, exactLength: SrpParameters.Coffer.Group.PaddedLength);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        long now = clock.NowMs();
        AuthAttempt? attempt = await store.FindAttemptAsync(authId, now, ct);
        if (attempt is null || attempt.SrpB is not null)
        {
            return Problems.Of(CofferErrors.SignInFailed, "The sign-in attempt is unknown, used or expired; start again.");
        }
        (string identity, byte[] salt, byte[] verifier, _) = await CredentialsAsync(store, attempt, now, ct);
        using SrpServer srp = new(SrpParameters.Coffer, identity, salt, verifier);
        byte[] b = srp.ExportPrivateEphemeral();
        try
        {
            if (!await store.RecordExchangeAsync(authId, a, b, srp.PublicKey.ToArray(), verifier, ct))
            {
                return Problems.Of(CofferErrors.SignInFailed, "The sign-in attempt is unknown, used or expired; start again.");
            }
            return TypedResults.Ok(new AuthExchangeResponse(Base64Url.Encode(srp.PublicKey)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(b);
            CryptographicOperations.ZeroMemory(verifier);
        }
    }

    internal static async Task<Results<Ok<AuthVerifyResponse>, ProblemHttpResult>> Verify(AuthVerifyRequest request, HttpContext http, AuthStore store,
        AuthFailures failures, PolicyStore policies, MfaStore mfa, AuditLog audit, NewDeviceMail newDeviceMail, TimeProvider clock, ILogger<AuthStore> log,
        CancellationToken ct)
    {
        RequestValidation v = new();
        string authId = v.Id("authId", request.AuthId);
        byte[] m1 = v.Bytes("m1", request.M1, exactLength: 32);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        long now = clock.NowMs();
        AuthAttempt? attempt = await store.TakeAttemptAsync(authId, now, ct);
        if (attempt is null)
        {
            return Problems.Of(CofferErrors.SignInFailed, "The sign-in attempt is unknown, used or expired; start again.");
        }
        if (attempt.SrpServerPublic is null || attempt.SrpVerifier is null)
        {
            // Exchanged by a server from before these were kept (an upgrade within the attempt's two minutes).
            CryptographicOperations.ZeroMemory(attempt.SrpB!);
            return Problems.Of(CofferErrors.SignInFailed, "The sign-in attempt is unknown, used or expired; start again.");
        }
        (string identity, byte[] salt, SignInMember? member) = await IdentityAsync(store, attempt, now, ct);
        // Checked again before the proof: attempts started together before the first failure was counted must not each get an
        // answer, and a lock that began since this attempt started answers like any lock, whatever the proof (docs/adr/0025).
        TimeSpan wait = await WaitAsync(failures, policies, member?.Id, identity, attempt.EmailNormalized, attempt.DeviceId, attempt.Ip, now, ct);
        if (wait > TimeSpan.Zero)
        {
            CryptographicOperations.ZeroMemory(attempt.SrpB!);
            CryptographicOperations.ZeroMemory(attempt.SrpVerifier);
            if (member?.SrpVerifier is not null)
            {
                CryptographicOperations.ZeroMemory(member.SrpVerifier);
            }
            await audit.RecordAsync(SignInEvent(attempt, now, attempt.MemberId, null, AuditOutcomes.Refused, AuditEntry.DetailsOf(("reason", "throttled"))), ct);
            return TooManyAttempts(http, wait);
        }
        // The exchange's own B and verifier (its decoy for an unknown email): no modular exponentiation is repeated here, for
        // either kind of email. A member whose verifier changed since the exchange (a new password) fails like a wrong proof.
        bool sameVerifier = member?.SrpVerifier is { } current && CryptographicOperations.FixedTimeEquals(current, attempt.SrpVerifier);
        using SrpServer srp = SrpServer.Resume(SrpParameters.Coffer, identity, salt, attempt.SrpVerifier, attempt.SrpB!, attempt.SrpServerPublic);
        CryptographicOperations.ZeroMemory(attempt.SrpB!);
        CryptographicOperations.ZeroMemory(attempt.SrpVerifier);
        if (member?.SrpVerifier is not null)
        {
            CryptographicOperations.ZeroMemory(member.SrpVerifier);
        }
        byte[]? m2 = srp.VerifyClientProof(attempt.SrpA!, m1);
        if (m2 is null || member is null || !sameVerifier)
        {
            bool locked = await failures.RecordAsync((await policies.CurrentAsync(ct)).Throttle,
                new FailureKeys(member?.Id ?? attempt.EmailNormalized, attempt.DeviceId, attempt.Ip), FailureKinds.Password, now, ct);
            LogSignInFailed(log, attempt.MemberId ?? "(unknown email)", attempt.DeviceId);
            await audit.RecordAsync(SignInEvent(attempt, now, attempt.MemberId, null, AuditOutcomes.Failure,
                locked ? AuditEntry.DetailsOf(("locked", true)) : null), ct);
            return Problems.Of(CofferErrors.SignInFailed);
        }
        if (member.State == "suspended")
        {
            LogSuspended(log, member.Id);
            await audit.RecordAsync(SignInEvent(attempt, now, member.Id, null, AuditOutcomes.Refused, AuditEntry.DetailsOf(("reason", "suspended"))), ct);
            return Problems.Of(CofferErrors.AccountSuspended);
        }
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        // POLICY.md: a factor for everyone or for administrators; a device that presented one lately is remembered (docs/adr/0022).
        MfaRequirement requirement = await mfa.RequirementAsync(member.Id, attempt.DeviceId, policy, now, ct);
        string mfaLevel = !requirement.Required ? "not_required" : requirement.Remembered ? "satisfied" : "pending";
        byte[] k = srp.ExportSessionKey();
        string sessionId = Ids.New();
        long expiresAt = now + policy.SessionAbsoluteMs;
        CreatedSession created = await store.CreateSessionAsync(attempt, member.Id, new NewSession(sessionId, k, expiresAt, mfaLevel), now, ct);
        CryptographicOperations.ZeroMemory(k);
        if (created.Outcome == SessionOutcome.DeviceOfAnotherMember)
        {
            return Problems.Validation("deviceId", "belongs to another account; use this device's own id");
        }
        // A deauthorised device's session carries only the wipe, whatever factor it might owe.
        AuthVerifyResponse verified = new(Base64Url.Encode(m2), sessionId, requirement.Pending && created.Outcome == SessionOutcome.Created
            ? new MfaRequirementDto(true, requirement.Methods, requirement.EnrolmentRequired)
            : new MfaRequirementDto(false, []));
        if (created.Outcome == SessionOutcome.DeviceRevoked)
        {
            // The answer looks like a success on purpose: its session serves one request, answered with the wipe sealed
            // under the key this proof just established, which the client can trust and an unsealed refusal it could not (ADR 0012).
            LogRevokedDevice(log, member.Id, attempt.DeviceId, sessionId);
            await audit.RecordAsync(SignInEvent(attempt, now, member.Id, sessionId, AuditOutcomes.Refused,
                AuditEntry.DetailsOf(("reason", "device_revoked"))), ct);
            return TypedResults.Ok(verified);
        }
        LogSignedIn(log, member.Id, attempt.DeviceId, sessionId);
        List<(string, object)> details = [];
        if (created.NewDevice)
        {
            details.Add(("newDevice", true));
        }
        if (requirement.Required)
        {
            details.Add(("mfa", requirement.Remembered ? "remembered_device" : requirement.EnrolmentRequired ? "enrolment_required" : "pending"));
        }
        await audit.RecordAsync(SignInEvent(attempt, now, member.Id, sessionId, AuditOutcomes.Success,
            details.Count > 0 ? AuditEntry.DetailsOf([.. details]) : null), ct);
        if (created.NewDevice)
        {
            await newDeviceMail.SendAsync(new NewDeviceSignIn(member.Id, created.Email, created.Name, attempt.DeviceName, attempt.DevicePlatform,
                attempt.DeviceClientVersion, now, attempt.Ip), ct);
        }
        return TypedResults.Ok(verified);
    }

    /// <summary>An <c>auth.signin</c> event: attributed to the attempted member when the email was known, else to nobody.</summary>
    private static AuditEntry SignInEvent(AuthAttempt attempt, long now, string? memberId, string? sessionId, string outcome, string? details) =>
        new(now, memberId, attempt.DeviceId, sessionId, AuditEntry.CanonicalIp(attempt.Ip), AuditActions.SignIn,
            memberId is null ? null : AuditTargets.Member, memberId, outcome, details);

    /// <summary>The SRP identity, salt and verifier an attempt runs against: the member's, or the email's decoys.</summary>
    private static async Task<(string Identity, byte[] Salt, byte[] Verifier, SignInMember? Member)> CredentialsAsync(AuthStore store, AuthAttempt attempt,
        long now, CancellationToken ct)
    {
        // The decoy verifier (an HKDF expansion reduced mod N, no exponentiation) is made for real members too, so that
        // exchange and verify do the same work for an email that exists as for one that does not.
        OrganisationInfo? org = await store.OrganisationAsync(ct);
        DecoyIdentity decoy = await store.DecoyAsync(now, ct);
        byte[] decoyVerifier = decoy.Verifier(attempt.EmailNormalized);
        SignInMember? m = attempt.MemberId is null ? null : await store.MemberByIdAsync(attempt.MemberId, ct);
        if (m is { SrpVerifier: not null })
        {
            CryptographicOperations.ZeroMemory(decoyVerifier);
            return (m.Id, m.KdfSalt!, m.SrpVerifier, m);
        }
        return (decoy.MemberId(attempt.EmailNormalized, org?.CreatedAt ?? decoy.CreatedAt, decoy.CreatedAt), decoy.Salt(attempt.EmailNormalized),
            decoyVerifier, null);
    }

    /// <summary>The SRP identity and salt an attempt runs against at verify (the verifier is the attempt's own): the member's, or the email's decoys.</summary>
    private static async Task<(string Identity, byte[] Salt, SignInMember? Member)> IdentityAsync(AuthStore store, AuthAttempt attempt, long now,
        CancellationToken ct)
    {
        // The same queries for both kinds of email, as in CredentialsAsync.
        OrganisationInfo? org = await store.OrganisationAsync(ct);
        DecoyIdentity decoy = await store.DecoyAsync(now, ct);
        SignInMember? m = attempt.MemberId is null ? null : await store.MemberByIdAsync(attempt.MemberId, ct);
        if (m is { SrpVerifier: not null })
        {
            return (m.Id, m.KdfSalt!, m);
        }
        return (decoy.MemberId(attempt.EmailNormalized, org?.CreatedAt ?? decoy.CreatedAt, decoy.CreatedAt), decoy.Salt(attempt.EmailNormalized), null);
    }

    /// <summary>
    /// The wait owed before an attempt on the account (the member's id, or the email nobody has), device and IP. The device
    /// lookup runs for unknown emails too (against the decoy id, never a member), so the work is the same either way.
    /// </summary>
    private static async Task<TimeSpan> WaitAsync(AuthFailures failures, PolicyStore policies, string? memberId, string decoyId, string email,
        string deviceId, string ip, long now, CancellationToken ct)
    {
        bool knownDevice = await failures.IsKnownDeviceAsync(memberId ?? decoyId, deviceId, ct) && memberId is not null;
        ThrottlePolicy throttle = (await policies.CurrentAsync(ct)).Throttle;
        return await failures.WaitAsync(throttle, new FailureKeys(memberId ?? email, deviceId, ip), knownDevice, now, ct);
    }

    /// <summary>The throttled answer of every kind of attempt (sign-in, factor, step-up): 429 with Retry-After and the seconds in the body.</summary>
    internal static ProblemHttpResult TooManyAttempts(HttpContext http, TimeSpan wait)
    {
        int seconds = (int)Math.Ceiling(wait.TotalSeconds);
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.Of(CofferErrors.TooManyAttempts, $"Try again in {seconds} seconds.",
            new Dictionary<string, object?> { ["retryAfterSeconds"] = seconds });
    }

    internal static string ClientIp(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in failed for member {MemberId} on device {DeviceId}")]
    private static partial void LogSignInFailed(ILogger logger, string memberId, string deviceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in refused: member {MemberId} is suspended")]
    private static partial void LogSuspended(ILogger logger, string memberId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {MemberId} signed in on deauthorised device {DeviceId}; session {SessionId} only carries the wipe")]
    private static partial void LogRevokedDevice(ILogger logger, string memberId, string deviceId, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {MemberId} signed in on device {DeviceId}, session {SessionId}")]
    private static partial void LogSignedIn(ILogger logger, string memberId, string deviceId, string sessionId);
}
