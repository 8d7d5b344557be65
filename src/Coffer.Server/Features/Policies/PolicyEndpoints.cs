using Coffer.Contracts.Auth;
using Coffer.Contracts.Members;
using Coffer.Contracts.Mfa;
using Coffer.Contracts.Policies;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Mfa;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Policies;

/// <remarks>
/// The organisation's policy document (POLICY.md; docs/adr/0022). Every member may read it (their clients act on it);
/// only <c>manage_policies</c> writes it, whole, naming the version read (409 <c>policy-changed</c> otherwise).
/// Every write needs a fresh factor (step-up, POLICY.md "changing policies"), whatever the step-up list says (docs/adr/0024).
/// </remarks>
internal static class PolicyEndpoints
{
    public static RouteGroupBuilder MapPolicyEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", Get).WithName("Policy_Get").RequireCofferSession();
        group.MapPut("/", Put).WithName("Policy_Put").RequireCofferSession().RequirePermission(OrgPermissions.ManagePolicies)
            .RequireStepUp(StepUpActions.ChangePolicies);
        return group;
    }

    internal static async Task<Ok<PolicyDocumentResponse>> Get(PolicyStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.CurrentAsync(ct)).ToResponse());

    internal static async Task<Results<Ok<PolicyDocumentResponse>, ProblemHttpResult>> Put(PolicyUpdateRequest request, HttpContext http,
        PolicyStore store, SecurityKeyRelyingParty relyingParty, CancellationToken ct)
    {
        RequestValidation v = new();
        v.Check(request.ExpectedVersion >= 0, "expectedVersion", "must be the version you read (0 for the defaults)");
        PolicyValues.Validate(v, request.Settings);
        // Security keys alone, where this server cannot be a relying party, would leave nobody a factor to enrol (docs/adr/0026).
        v.Check(relyingParty.Verifier is not null || request.Settings?.MfaKinds is not { } kinds || kinds.Contains(MfaKinds.Totp)
            || !kinds.Contains(MfaKinds.SecurityKey), "settings.mfaKinds", "must allow totp here: security keys are unavailable on this server (it has no host name)");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        (PolicyWriteOutcome outcome, string? detail, CurrentPolicy? written) = await store.WriteAsync(http.Caller(), request, ct);
        return outcome switch
        {
            PolicyWriteOutcome.Written => TypedResults.Ok(written!.ToResponse()),
            PolicyWriteOutcome.Conflict => Problems.Of(CofferErrors.PolicyChanged, detail),
            _ => Problems.Validation(detail!.Split(':')[0], detail[(detail.IndexOf(':', StringComparison.Ordinal) + 2)..]),
        };
    }
}
