using System.Net;
using Coffer.Contracts.Auth;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Policies;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.StepUp;

/// <summary>
/// The one step-up check (POLICY.md "MFA again for important or privileged actions", docs/adr/0024). An action passes when
/// the session presented a factor within the policy's window — or, for a member with no factor, proved SRP within it (at
/// sign-in or with <c>auth/step-up</c>). Inside a known network the window may be longer: an indicator, it never skips the
/// check. A refusal is 403 <c>step-up-required</c> naming the action, the window and what the member can present, with a
/// <c>refused</c> event; callers check before they change anything, so the same request may simply be sent again.
/// </summary>
internal sealed class StepUpGate(StepUpStore store, PolicyStore policies, AuditLog audit, TimeProvider clock)
{
    /// <summary>Asked whatever the policy's list says: policies (ADR 0022: one stolen session must not turn step-up off) and factors.</summary>
    private static readonly string[] Always =
        [StepUpActions.ChangePolicies, StepUpActions.MfaFactorAdd, StepUpActions.MfaFactorRemove, StepUpActions.MfaBackupCodes];

    /// <summary>Null when the caller may go on; else the refusal to return (already logged).</summary>
    public async Task<ProblemHttpResult?> CheckAsync(HttpContext http, string action, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        CurrentPolicy policy = await policies.CurrentAsync(ct);
        if (!Always.Contains(action) && !policy.Settings.StepUpActions.Contains(action))
        {
            return null;
        }
        StepUpState? state = await store.StateAsync(caller, ct);
        long now = clock.NowMs();
        int minutes = WindowMinutes(policy, caller.Ip);
        if (state?.FreshAt is long at && now - at <= (long)TimeSpan.FromMinutes(minutes).TotalMilliseconds && at <= now)
        {
            return null;
        }
        IReadOnlyList<string> methods = state?.Methods(policy) ?? [];
        audit.Record(AuditEntry.By(caller, now, AuditActions.StepUp, AuditTargets.Member, caller.MemberId, AuditOutcomes.Refused,
            AuditEntry.DetailsOf(("action", action), ("windowMinutes", (long)minutes))));
        string how = state is { HasFactor: false }
            ? "prove your password and Secret Key again (POST /api/v1/auth/step-up/start)"
            : "present a factor (POST /api/v1/mfa/verify)";
        return Problems.Of(CofferErrors.StepUpRequired,
            $"Confirm {StepUpActions.Describe(action)}: {how} within {minutes} minutes before it, then repeat the request; nothing was changed.",
            new Dictionary<string, object?> { ["action"] = action, ["windowMinutes"] = minutes, ["methods"] = methods });
    }

    /// <summary>The policy's window, lengthened (never shortened) when the caller's address is inside a known network.</summary>
    internal static int WindowMinutes(CurrentPolicy policy, string? ip)
    {
        int window = policy.Settings.StepUpWindowMinutes;
        if (policy.Settings.KnownNetworks.Count == 0 || ip is null || !IPAddress.TryParse(ip, out IPAddress? address))
        {
            return window;
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        foreach (string network in policy.Settings.KnownNetworks)
        {
            if (IPNetwork.TryParse(network, out IPNetwork range) && range.Contains(address))
            {
                return Math.Max(window, policy.Settings.KnownNetworkStepUpWindowMinutes);
            }
        }
        return window;
    }
}

/// <summary>Runs <see cref="StepUpGate"/> before an endpoint whose every call is the step-up action (after its permission check).</summary>
internal sealed class StepUpFilter(string action) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        HttpContext http = context.HttpContext;
        StepUpGate gate = http.RequestServices.GetRequiredService<StepUpGate>();
        return await gate.CheckAsync(http, action, http.RequestAborted) is { } refused ? refused : await next(context);
    }
}

internal static class StepUpEndpointExtensions
{
    /// <summary>Every call of this endpoint is step-up <paramref name="action"/> (docs/adr/0024).</summary>
    public static RouteHandlerBuilder RequireStepUp(this RouteHandlerBuilder builder, string action) =>
        builder.AddEndpointFilter(new StepUpFilter(action));
}
