using Coffer.Contracts.Auth;
using Coffer.Contracts.Mfa;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Auth;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Mfa;

/// <remarks>
/// A member's second factors (docs/adr/0022). A session that still owes a factor may list the factors, present one
/// (<c>verify</c>), and — only while the member has no active factor — enrol TOTP and confirm it, which satisfies the
/// session: with the password and Secret Key alone one may set up a first factor, never add a second one past the first.
/// Adding (past the first), removing and regenerating backup codes need a session that owes nothing and a fresh factor
/// (<see cref="StepUpGate"/>, docs/adr/0024). A session that presents a factor again moves its step-up time.
/// </remarks>
internal static partial class MfaEndpoints
{
    public static RouteGroupBuilder MapMfaEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/factors", List).WithName("Mfa_ListFactors").RequireCofferSession().AllowWhileMfaPending();
        group.MapPost("/totp", EnrolTotp).WithName("Mfa_EnrolTotp").RequireCofferSession().AllowWhileMfaPending();
        group.MapPost("/totp/{factorId}/confirm", ConfirmTotp).WithName("Mfa_ConfirmTotp").RequireCofferSession().AllowWhileMfaPending();
        group.MapPost("/verify", Verify).WithName("Mfa_Verify").RequireCofferSession().AllowWhileMfaPending();
        group.MapDelete("/factors/{factorId}", Remove).WithName("Mfa_RemoveFactor").RequireCofferSession();
        group.MapPost("/backup-codes", RegenerateBackupCodes).WithName("Mfa_RegenerateBackupCodes").RequireCofferSession();
        return group.MapSecurityKeyEndpoints();
    }

    internal static async Task<Ok<MfaFactorsResponse>> List(HttpContext http, MfaStore store, PolicyStore policies, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        List<MfaFactorRow> factors = await store.FactorsAsync(caller.MemberId, ct);
        bool required = await store.IsRequiredAsync(caller.MemberId, await policies.CurrentAsync(ct), ct);
        return TypedResults.Ok(new MfaFactorsResponse([.. factors.Select(f => f.ToDto())], await store.BackupCodesLeftAsync(caller.MemberId, ct),
            required, !caller.MfaSatisfied));
    }

    internal static async Task<Results<Ok<TotpEnrolResponse>, ProblemHttpResult>> EnrolTotp(TotpEnrolRequest request, HttpContext http, MfaStore store,
        PolicyStore policies, StepUpGate stepUp, CancellationToken ct)
    {
        RequestValidation v = new();
        string name = v.Text("name", request.Name, 100);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        if (!policy.Settings.MfaKinds.Contains(MfaKinds.Totp))
        {
            return Problems.Of(CofferErrors.Forbidden, "The organisation's policy does not allow authenticator apps (totp).");
        }
        if (await RefuseBeyondFirstAsync(http, caller, store, stepUp, ct) is { } refused)
        {
            return refused;
        }
        (string factorId, string uri) = await store.EnrolTotpAsync(caller, name, await store.EmailAsync(caller.MemberId, ct), "Coffer", ct);
        return TypedResults.Ok(new TotpEnrolResponse(factorId, uri));
    }

    internal static async Task<Results<Ok<MfaAcceptedResponse>, ProblemHttpResult>> ConfirmTotp(string factorId, MfaCodeRequest request, HttpContext http,
        MfaStore store, PolicyStore policies, StepUpGate stepUp, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Id("factorId", factorId);
        v.Text("code", request.Code, 20);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        if (await RefuseBeyondFirstAsync(http, caller, store, stepUp, ct) is { } refused)
        {
            return refused;
        }
        if (await ThrottledAsync(http, caller, store, policies, clock, ct) is { } throttled)
        {
            return throttled;
        }
        MfaFactorRow? factor = await store.CheckTotpAsync(caller.MemberId, factorId, request.Code, activate: true, ct);
        if (factor is null)
        {
            return await FailedAsync(caller, store, policies, clock, MfaKinds.Totp, ct);
        }
        await store.RecordAsync(AuditEntry.By(caller, clock.NowMs(), AuditActions.MfaFactorAdd, AuditTargets.MfaFactor, factor.Id,
            details: AuditEntry.DetailsOf(("kind", MfaKinds.Totp))), ct);
        return await AcceptedAsync(caller, store, policies, clock, MfaKinds.Totp, factor.Id, ct);
    }

    internal static async Task<Results<Ok<MfaAcceptedResponse>, ProblemHttpResult>> Verify(MfaCodeRequest request, HttpContext http, MfaStore store,
        PolicyStore policies, TimeProvider clock, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Check(request.Kind is MfaKinds.Totp or MfaKinds.BackupCode, "kind", "must be totp or backup_code");
        v.Text("code", request.Code, 40);
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        CofferCaller caller = http.Caller();
        if (await ThrottledAsync(http, caller, store, policies, clock, ct) is { } throttled)
        {
            return throttled;
        }
        if (request.Kind == MfaKinds.BackupCode)
        {
            return await store.UseBackupCodeAsync(caller.MemberId, request.Code, ct)
                ? await AcceptedAsync(caller, store, policies, clock, MfaKinds.BackupCode, null, ct)
                : await FailedAsync(caller, store, policies, clock, MfaKinds.BackupCode, ct);
        }
        MfaFactorRow? factor = await store.CheckTotpAsync(caller.MemberId, null, request.Code, activate: false, ct);
        return factor is null
            ? await FailedAsync(caller, store, policies, clock, MfaKinds.Totp, ct)
            : await AcceptedAsync(caller, store, policies, clock, MfaKinds.Totp, factor.Id, ct);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Remove(string factorId, HttpContext http, MfaStore store, PolicyStore policies,
        StepUpGate stepUp, CancellationToken ct)
    {
        if (!Ids.IsValid(factorId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        CofferCaller caller = http.Caller();
        if (await stepUp.CheckAsync(http, StepUpActions.MfaFactorRemove, ct) is { } stepUpRequired)
        {
            return stepUpRequired;
        }
        List<MfaFactorRow> factors = await store.FactorsAsync(caller.MemberId, ct);
        MfaFactorRow? factor = factors.FirstOrDefault(f => f.Id == factorId);
        if (factor is null)
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        bool lastActive = factor.ConfirmedAt is not null && factors.Count(f => f.ConfirmedAt is not null) == 1;
        if (lastActive && await store.IsRequiredAsync(caller.MemberId, await policies.CurrentAsync(ct), ct))
        {
            return Problems.Of(CofferErrors.MemberState,
                "This is your only factor and the organisation requires one: enrol the new one first (an authenticator app: coffer mfa add-totp; "
                + "a security key: coffer mfa add-security-key), then remove this.");
        }
        return await store.RemoveFactorAsync(caller, factorId, ct) ? TypedResults.NoContent() : Problems.Of(CofferErrors.NotFound);
    }

    internal static async Task<Results<Ok<BackupCodesResponse>, ProblemHttpResult>> RegenerateBackupCodes(HttpContext http, MfaStore store,
        StepUpGate stepUp, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        if (!(await store.FactorsAsync(caller.MemberId, ct)).Any(f => f.ConfirmedAt is not null))
        {
            return Problems.Of(CofferErrors.MemberState, "Backup codes stand in for a factor: enrol one first (coffer mfa add-totp).");
        }
        if (await stepUp.CheckAsync(http, StepUpActions.MfaBackupCodes, ct) is { } stepUpRequired)
        {
            return stepUpRequired;
        }
        return TypedResults.Ok(new BackupCodesResponse(await store.RegenerateBackupCodesAsync(caller, ct)));
    }

    /// <summary>
    /// A session that owes a factor may only enrol the member's first one; with one active, it must present it. A session that
    /// owes nothing adds one past the first only with a fresh factor (step-up, docs/adr/0024).
    /// </summary>
    private static async Task<ProblemHttpResult?> RefuseBeyondFirstAsync(HttpContext http, CofferCaller caller, MfaStore store, StepUpGate stepUp,
        CancellationToken ct)
    {
        bool hasFactor = (await store.FactorsAsync(caller.MemberId, ct)).Any(f => f.ConfirmedAt is not null);
        if (caller.MfaSatisfied)
        {
            return hasFactor ? await stepUp.CheckAsync(http, StepUpActions.MfaFactorAdd, ct) : null;
        }
        return hasFactor
            ? Problems.Of(CofferErrors.MfaRequired, "You already have a factor: present it (POST /api/v1/mfa/verify) before adding another.")
            : null;
    }

    /// <summary>
    /// POLICY.md "Brute force" for codes (docs/adr/0025): failures count with sign-in failures per account, device and IP, with
    /// the same growing delays; while the account is locked, a session on a device that never completed a sign-in is refused
    /// whatever the code, one on a known device only delayed. The refusal is logged like any failure.
    /// </summary>
    private static async Task<ProblemHttpResult?> ThrottledAsync(HttpContext http, CofferCaller caller, MfaStore store, PolicyStore policies,
        TimeProvider clock, CancellationToken ct)
    {
        long now = clock.NowMs();
        TimeSpan wait = await store.ThrottleWaitAsync(caller, (await policies.CurrentAsync(ct)).Throttle, now, ct);
        if (wait <= TimeSpan.Zero)
        {
            return null;
        }
        await store.RecordAsync(AuditEntry.By(caller, now, AuditActions.MfaVerify, AuditTargets.Member, caller.MemberId, AuditOutcomes.Refused,
            AuditEntry.DetailsOf(("reason", "throttled"))), ct);
        return AuthEndpoints.TooManyAttempts(http, wait);
    }

    /// <summary>
    /// A refused factor: counted (docs/adr/0025) and logged as an <c>mfa.verify</c> failure; <paramref name="reason"/> (a security
    /// key's <c>WebAuthnFailure</c>, say) goes to the event's details only — the client is told <c>mfa-failed</c> and nothing more.
    /// </summary>
    private static async Task<ProblemHttpResult> FailedAsync(CofferCaller caller, MfaStore store, PolicyStore policies, TimeProvider clock, string kind,
        CancellationToken ct, string? reason = null)
    {
        long now = clock.NowMs();
        bool locked = await store.RecordFailureAsync(caller, (await policies.CurrentAsync(ct)).Throttle, kind, now, ct);
        List<(string, object)> details = [("kind", kind)];
        if (reason is not null)
        {
            details.Add(("reason", reason));
        }
        if (locked)
        {
            details.Add(("locked", true));
        }
        await store.RecordAsync(AuditEntry.By(caller, now, AuditActions.MfaVerify, AuditTargets.Member, caller.MemberId, AuditOutcomes.Failure,
            AuditEntry.DetailsOf([.. details])), ct);
        return Problems.Of(CofferErrors.MfaFailed);
    }

    private static async Task<Results<Ok<MfaAcceptedResponse>, ProblemHttpResult>> AcceptedAsync(CofferCaller caller, MfaStore store, PolicyStore policies,
        TimeProvider clock, string kind, string? factorId, CancellationToken ct)
    {
        long now = clock.NowMs();
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        int days = policy.Settings.MfaRememberDeviceDays;
        int left = await store.BackupCodesLeftAsync(caller.MemberId, ct);
        List<(string, object)> details = [("kind", kind)];
        if (caller.MfaSatisfied)
        {
            details.Add(("stepUp", true));   // presented again by a session that owed nothing: a step-up (docs/adr/0024)
        }
        if (kind == MfaKinds.BackupCode)
        {
            details.Add(("backupCodesLeft", (long)left));
        }
        await store.SatisfyAsync(caller, days > 0, AuditEntry.By(caller, now, AuditActions.MfaVerify, AuditTargets.Member, caller.MemberId,
            details: AuditEntry.DetailsOf([.. details])), ct);
        return TypedResults.Ok(new MfaAcceptedResponse(kind, factorId, left, days > 0 ? now + (long)TimeSpan.FromDays(days).TotalMilliseconds : null));
    }
}
