using System.Security.Cryptography;
using Coffer.Contracts.Auth;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Srp;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Auth;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.StepUp;

/// <remarks>
/// Step-up by SRP (docs/adr/0024): a member with no second factor confirms a privileged action by proving the password and
/// Secret Key again, inside the session that wants to act. The attempt is an ordinary sign-in attempt (same table, same
/// SRP-6a server, same throttle and failure counters), bound at finish to the caller's member and device; instead of a new
/// session it moves this session's step-up time. A member with a factor presents the factor instead (<c>mfa/verify</c>).
/// </remarks>
internal static partial class StepUpEndpoints
{
    private static readonly TimeSpan AttemptLifetime = TimeSpan.FromMinutes(2);

    public static RouteGroupBuilder MapStepUpEndpoints(this RouteGroupBuilder authGroup)
    {
        authGroup.MapPost("/step-up/start", Start).WithName("Auth_StepUpStart").RequireCofferSession();
        authGroup.MapPost("/step-up/finish", Finish).WithName("Auth_StepUpFinish").RequireCofferSession();
        return authGroup;
    }

    internal static async Task<Results<Ok<StepUpStartResponse>, ProblemHttpResult>> Start(StepUpStartRequest request, HttpContext http,
        StepUpStore stepUps, AuthStore auth, AuthFailures failures, PolicyStore policies, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        byte[] a = v.Bytes("a", request.A, exactLength: SrpParameters.Coffer.Group.PaddedLength);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        StepUpState? state = await stepUps.StateAsync(caller, ct);
        if (state is null or { HasFactor: true })
        {
            return Problems.Of(CofferErrors.MemberState, "You have a second factor: step up by presenting it (POST /api/v1/mfa/verify).");
        }
        StepUpMember? member = await stepUps.MemberAsync(caller, ct);
        if (member?.SrpVerifier is null || member.KdfSalt is null || member.KdfAlg is null || member.KdfIterations is null)
        {
            return Problems.Of(CofferErrors.MemberState, "This account has no password to prove (single sign-on).");
        }
        long now = clock.NowMs();
        string ip = AuthEndpoints.ClientIp(http);
        if (await ThrottledAsync(http, caller, failures, policies, audit, ip, now, ct) is { } throttled)
        {
            CryptographicOperations.ZeroMemory(member.SrpVerifier);
            return throttled;
        }
        AuthAttempt attempt = new()
        {
            Id = Ids.New(),
            MemberId = caller.MemberId,
            EmailNormalized = member.EmailNormalized,
            DeviceId = caller.DeviceId,
            DeviceName = member.DeviceName,
            DevicePlatform = member.DevicePlatform,
            DeviceClientVersion = member.DeviceClientVersion,
            Ip = ip,
            ExpiresAt = now + (long)AttemptLifetime.TotalMilliseconds,
        };
        await auth.CreateAttemptAsync(attempt, now, ct);
        using SrpServer srp = new(SrpParameters.Coffer, caller.MemberId, member.KdfSalt, member.SrpVerifier);
        byte[] b = srp.ExportPrivateEphemeral();
        try
        {
            if (!await auth.RecordExchangeAsync(attempt.Id, a, b, srp.PublicKey.ToArray(), member.SrpVerifier, ct))
            {
                return Problems.Of(CofferErrors.SignInFailed, "The step-up attempt is unknown, used or expired; start again.");
            }
            return TypedResults.Ok(new StepUpStartResponse(attempt.Id, Base64Url.Encode(srp.PublicKey),
                new KdfDto(member.KdfAlg, Base64Url.Encode(member.KdfSalt), (int)member.KdfIterations.Value)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(b);
            CryptographicOperations.ZeroMemory(member.SrpVerifier);
        }
    }

    internal static async Task<Results<Ok<StepUpFinishResponse>, ProblemHttpResult>> Finish(StepUpFinishRequest request, HttpContext http,
        StepUpStore stepUps, AuthStore auth, AuthFailures failures, PolicyStore policies, AuditLog audit, TimeProvider clock, ILogger<StepUpStore> log,
        CancellationToken ct)
    {
        RequestValidation v = new();
        string authId = v.Id("authId", request.AuthId);
        byte[] m1 = v.Bytes("m1", request.M1, exactLength: 32);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        AuthAttempt? attempt = await auth.TakeAttemptAsync(authId, now, ct);
        if (attempt is null || attempt.MemberId != caller.MemberId || attempt.DeviceId != caller.DeviceId
            || attempt.SrpServerPublic is null || attempt.SrpVerifier is null || attempt.SrpA is null)
        {
            if (attempt is not null)
            {
                CryptographicOperations.ZeroMemory(attempt.SrpB!);
            }
            return Problems.Of(CofferErrors.SignInFailed, "The step-up attempt is unknown, used or expired; start again.");
        }
        // Checked again before the proof, as at sign-in: attempts started in parallel before a failure was counted get no answer past the bound.
        if (await ThrottledAsync(http, caller, failures, policies, audit, attempt.Ip, now, ct) is { } throttled)
        {
            CryptographicOperations.ZeroMemory(attempt.SrpB!);
            CryptographicOperations.ZeroMemory(attempt.SrpVerifier);
            return throttled;
        }
        StepUpMember? member = await stepUps.MemberAsync(caller, ct);
        // A verifier changed since start (a new password) fails like a wrong proof, as at sign-in.
        bool sameVerifier = member?.SrpVerifier is { } current && CryptographicOperations.FixedTimeEquals(current, attempt.SrpVerifier);
        if (member?.SrpVerifier is not null)
        {
            CryptographicOperations.ZeroMemory(member.SrpVerifier);
        }
        using SrpServer srp = SrpServer.Resume(SrpParameters.Coffer, caller.MemberId, member?.KdfSalt ?? [], attempt.SrpVerifier, attempt.SrpB!,
            attempt.SrpServerPublic);
        CryptographicOperations.ZeroMemory(attempt.SrpB!);
        CryptographicOperations.ZeroMemory(attempt.SrpVerifier);
        byte[]? m2 = member?.KdfSalt is null ? null : srp.VerifyClientProof(attempt.SrpA, m1);
        if (m2 is null || !sameVerifier)
        {
            await failures.RecordAsync((await policies.CurrentAsync(ct)).Throttle, new FailureKeys(caller.MemberId, attempt.DeviceId, attempt.Ip),
                FailureKinds.Password, now, ct);
            LogStepUpFailed(log, caller.MemberId, caller.SessionId);
            await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.StepUp, AuditTargets.Member, caller.MemberId, AuditOutcomes.Failure,
                AuditEntry.DetailsOf(("kind", StepUpActions.SrpMethod))), ct);
            return Problems.Of(CofferErrors.SignInFailed, "The proof was wrong; nothing was confirmed.");
        }
        await stepUps.MarkSteppedUpAsync(caller, now, AuditEntry.By(caller, now, AuditActions.StepUp, AuditTargets.Member, caller.MemberId,
            details: AuditEntry.DetailsOf(("kind", StepUpActions.SrpMethod))), ct);
        return TypedResults.Ok(new StepUpFinishResponse(Base64Url.Encode(m2), now));
    }

    private static async Task<ProblemHttpResult?> ThrottledAsync(HttpContext http, CofferCaller caller, AuthFailures failures,
        PolicyStore policies, AuditLog audit, string ip, long now, CancellationToken ct)
    {
        ThrottlePolicy throttle = (await policies.CurrentAsync(ct)).Throttle;
        // Counted with the account's sign-in failures (docs/adr/0025). The session's device is the member's own: delayed like a
        // known device at sign-in, never locked out.
        TimeSpan wait = await failures.WaitAsync(throttle, new FailureKeys(caller.MemberId, caller.DeviceId, ip), knownDevice: true, now, ct);
        if (wait <= TimeSpan.Zero)
        {
            return null;
        }
        await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.StepUp, AuditTargets.Member, caller.MemberId, AuditOutcomes.Refused,
            AuditEntry.DetailsOf(("kind", StepUpActions.SrpMethod), ("reason", "throttled"))), ct);
        return AuthEndpoints.TooManyAttempts(http, wait);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step-up by SRP failed for member {MemberId} in session {SessionId}")]
    private static partial void LogStepUpFailed(ILogger logger, string memberId, string sessionId);
}
