using Coffer.Contracts.Auth;
using Coffer.Contracts.Members;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Members;

/// <remarks>
/// Invite and confirm members (PROTOCOL.md §8), behind the session layer; only Owners and Administrators
/// (POLICY.md <c>manage_members</c>) may call, everyone else gets 403.
/// </remarks>
internal static class MemberEndpoints
{
    public static RouteGroupBuilder MapMemberEndpoints(this RouteGroupBuilder group)
    {
        group.MapPost("/invitations", Invite).WithName("Members_Invite").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        group.MapGet("/{memberId}/keys", PendingKeys).WithName("Members_Keys").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        group.MapPost("/{memberId}/confirm", Confirm).WithName("Members_Confirm").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        return group;
    }

    internal static async Task<Results<Created<InvitationResponse>, ProblemHttpResult>> Invite(InviteMemberRequest request, HttpContext http,
        InvitationStore store, Mailer mailer, IOptions<CofferOptions> options, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        RequestValidation v = new();
        v.Email("email", request.Email);
        string email = request.Email;
        string name = v.Text("name", request.Name, 200);
        v.Check(request.BaseGroup is "team_members" or "guests", "baseGroup", "must be team_members or guests");
        if (!v.IsValid)
        {
            return v.ToProblem();
        }
        (InviteOutcome outcome, NewInvitation? invitation) = await store.InviteAsync(caller, email, name, request.BaseGroup, clock.NowMs(), ct);
        if (outcome == InviteOutcome.EmailTaken || invitation is null)
        {
            return Problems.Validation("email", "already belongs to a member");
        }
        string link = InvitationLink(options.Value.PublicUrl, invitation.Token, invitation.OrgFingerprint);
        await mailer.SendAsync(new MailMessageText(email, "You are invited to Coffer", $"""
            Hello {name},

            you are invited to your organisation's Coffer. Open this link on the device you want to use:

            {link}

            The link works once and expires in {(int)InvitationStore.Lifetime.TotalDays} days. The organisation
            fingerprint in it lets your client recognise your organisation; compare it with what your
            administrator tells you if you are asked to.
            """), ct);
        return TypedResults.Created($"/api/v1/members/{invitation.MemberId}",
            new InvitationResponse(invitation.MemberId, invitation.InvitationId, invitation.ExpiresAt));
    }

    internal static async Task<Results<Ok<PendingMemberKeysResponse>, ProblemHttpResult>> PendingKeys(string memberId, HttpContext http,
        InvitationStore invitations, MemberStore store, CancellationToken ct)
    {
        return Ids.IsValid(memberId) && await store.PendingKeysAsync(memberId, ct) is { } keys ? TypedResults.Ok(keys) : Problems.Of(CofferErrors.NotFound);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Confirm(string memberId, ConfirmMemberRequest request, HttpContext http,
        InvitationStore invitations, MemberStore store, StepUpStore stepUps, StepUpGate stepUp, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        if (!Ids.IsValid(memberId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        // A confirmation that wraps the Owners' or Administrators' group key for the member makes them one (add_admin, docs/adr/0024).
        string[] groupIds = [.. (request.Wraps ?? []).Where(w => w?.ObjectKind == WrapObjectKinds.Group).Select(w => w.ObjectId).Where(Ids.IsValid).Distinct(StringComparer.Ordinal)];
        if (await stepUps.AnyAdministrativeGroupAsync(groupIds, ct) && await stepUp.CheckAsync(http, StepUpActions.AddAdmin, ct) is { } stepUpRequired)
        {
            return stepUpRequired;
        }
        (ConfirmOutcome outcome, string? problem) = await store.ConfirmAsync(caller, memberId, request, clock.NowMs(), ct);
        return outcome switch
        {
            ConfirmOutcome.Confirmed => TypedResults.NoContent(),
            ConfirmOutcome.NotFound => Problems.Of(CofferErrors.NotFound),
            ConfirmOutcome.NotPending => Problems.Of(CofferErrors.StaleVersion, "The member is not waiting for confirmation."),
            _ => Invalid(problem ?? "request: is not acceptable"),
        };
    }

    /// <summary>The store names a problem as <c>field: message</c>.</summary>
    private static ProblemHttpResult Invalid(string problem)
    {
        int colon = problem.IndexOf(':', StringComparison.Ordinal);
        return Problems.Validation(problem[..colon], problem[(colon + 2)..]);
    }

    /// <summary>Token and organisation fingerprint travel in the fragment, which browsers never send to a server.</summary>
    internal static string InvitationLink(string? publicUrl, byte[] token, byte[] orgFingerprint) =>
        $"{(publicUrl ?? "http://localhost").TrimEnd('/')}/invite#token={Base64Url.Encode(token)}&org={Base32.Encode(orgFingerprint)}";
}
