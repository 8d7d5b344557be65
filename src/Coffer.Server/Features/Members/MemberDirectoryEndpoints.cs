using Coffer.Contracts.Members;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Members;

/// <remarks>
/// The member directory and lifecycle (POLICY.md "Authorisation", "Leaving"; docs/adr/0009). Any confirmed member reads the
/// directory: with <c>manage_members</c> every member not removed, otherwise active members only; a member the caller may not
/// see is 404 like a missing one. Suspend, reactivate and remove need <c>manage_members</c>; only an Owner acts on an Owner or
/// an Administrator (403), the last active Owner is never suspended or removed (409 <c>last-owner</c>), nobody acts on their
/// own membership (409 <c>own-membership</c>), and a change the member's state does not allow is 409 <c>member-state</c>.
/// Every call is in the activity log, refusals included.
/// </remarks>
internal static class MemberDirectoryEndpoints
{
    public const int DefaultLimit = 500;
    public const int MaxLimit = 2000;

    public static RouteGroupBuilder MapMemberDirectoryEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", List).WithName("Members_List").RequireCofferSession();
        group.MapGet("/{memberId}", Get).WithName("Members_Get").RequireCofferSession();
        group.MapPost("/{memberId}/suspend", Suspend).WithName("Members_Suspend").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        group.MapPost("/{memberId}/reactivate", Reactivate).WithName("Members_Reactivate").RequireCofferSession()
            .RequirePermission(OrgPermissions.ManageMembers);
        group.MapPost("/{memberId}/unlock", Unlock).WithName("Members_Unlock").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        group.MapDelete("/{memberId}", Remove).WithName("Members_Remove").RequireCofferSession().RequirePermission(OrgPermissions.ManageMembers);
        return group;
    }

    internal static async Task<Results<Ok<MemberListResponse>, ProblemHttpResult>> List(string? after, int? limit, HttpContext http,
        MemberDirectoryStore store, PermissionStore permissions, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        int take = limit ?? DefaultLimit;
        if (after is not null && !Ids.IsValid(after))
        {
            return Problems.Validation("after", "must be a member id from an earlier page");
        }
        if (take is < 1 or > MaxLimit)
        {
            return Problems.Validation("limit", $"must be between 1 and {MaxLimit}");
        }
        bool everyone = await permissions.HasAsync(caller.MemberId, OrgPermissions.ManageMembers, ct);
        List<MemberDto> members = await store.ListAsync(everyone, after ?? "", take + 1, ct);
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.MemberList, details: AuditEntry.DetailsOf(("limit", take))));
        return TypedResults.Ok(new MemberListResponse([.. members.Take(take)], members.Count > take));
    }

    internal static async Task<Results<Ok<MemberDto>, ProblemHttpResult>> Get(string memberId, HttpContext http, MemberDirectoryStore store,
        PermissionStore permissions, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        MemberDto? member = Ids.IsValid(memberId)
            ? await store.FindAsync(await permissions.HasAsync(caller.MemberId, OrgPermissions.ManageMembers, ct), memberId, ct)
            : null;
        bool named = Ids.IsValid(memberId);
        audit.Record(AuditEntry.By(caller, clock.NowMs(), AuditActions.MemberRead, named ? AuditTargets.Member : null, named ? memberId : null,
            member is null ? AuditOutcomes.Refused : AuditOutcomes.Success));
        return member is null ? Problems.Of(CofferErrors.NotFound) : TypedResults.Ok(member);
    }

    internal static async Task<Results<Ok<MemberLifecycleResponse>, ProblemHttpResult>> Suspend(string memberId, HttpContext http,
        MemberLifecycleStore store, LiveSessions live, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        LifecycleResult result = await ChangeAsync(http, memberId, AuditActions.MemberSuspend, audit, clock, live,
            (caller, now) => store.SuspendAsync(caller, memberId, now, ct), ct);
        return result is { Outcome: LifecycleOutcome.Done, Report: { } report } ? TypedResults.Ok(report) : Refusal(result.Outcome);
    }

    internal static async Task<Results<Ok<MemberDto>, ProblemHttpResult>> Reactivate(string memberId, HttpContext http, MemberLifecycleStore store,
        LiveSessions live, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        LifecycleResult result = await ChangeAsync(http, memberId, AuditActions.MemberReactivate, audit, clock, live,
            (caller, now) => store.ReactivateAsync(caller, memberId, now, ct), ct);
        return result is { Outcome: LifecycleOutcome.Done, Member: { } member } ? TypedResults.Ok(member) : Refusal(result.Outcome);
    }

    /// <summary>
    /// POLICY.md "Brute force": an administrator releases an account locked for unknown devices before its lock ends (and clears
    /// the failures counted against it, so its delays go too). Any member not removed, Owners included: a release only gives back
    /// what the policy took, and the devices that guessed stay delayed.
    /// </summary>
    internal static async Task<Results<Ok<MemberUnlockResponse>, ProblemHttpResult>> Unlock(string memberId, HttpContext http, MemberDirectoryStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        bool named = Ids.IsValid(memberId);
        MemberUnlockResponse? released = named ? await store.UnlockAsync(memberId, now, ct) : null;
        await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.MemberUnlock, named ? AuditTargets.Member : null, named ? memberId : null,
            released is null ? AuditOutcomes.Refused : AuditOutcomes.Success,
            released is null ? AuditEntry.DetailsOf(("reason", CofferErrors.NotFound.Slug))
                : AuditEntry.DetailsOf(("wasLocked", released.WasLocked), ("failuresCleared", (long)released.FailuresCleared))), ct);
        return released is null ? Problems.Of(CofferErrors.NotFound) : TypedResults.Ok(released);
    }

    internal static async Task<Results<Ok<MemberLifecycleResponse>, ProblemHttpResult>> Remove(string memberId, HttpContext http,
        MemberLifecycleStore store, LiveSessions live, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        LifecycleResult result = await ChangeAsync(http, memberId, AuditActions.MemberRemove, audit, clock, live,
            (caller, now) => store.RemoveAsync(caller, memberId, now, ct), ct);
        return result is { Outcome: LifecycleOutcome.Done, Report: { } report } ? TypedResults.Ok(report) : Refusal(result.Outcome);
    }

    /// <summary>
    /// Runs one change; on success forgets the member's sessions on this node at once (their keys are zeroed; other nodes drop
    /// theirs on the next request, which the database refuses); a refusal changed nothing and is logged as refused.
    /// </summary>
    private static async Task<LifecycleResult> ChangeAsync(HttpContext http, string memberId, string action, AuditLog audit, TimeProvider clock,
        LiveSessions live, Func<CofferCaller, long, Task<LifecycleResult>> change, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        LifecycleResult result = Ids.IsValid(memberId) ? await change(caller, now) : new LifecycleResult(LifecycleOutcome.NotFound);
        if (result.Outcome == LifecycleOutcome.Done)
        {
            foreach (string sessionId in result.EndedSessionIds)
            {
                live.Forget(sessionId);
            }
            return result;
        }
        bool named = Ids.IsValid(memberId);
        await audit.RecordAsync(AuditEntry.By(caller, now, action, named ? AuditTargets.Member : null, named ? memberId : null, AuditOutcomes.Refused,
            AuditEntry.DetailsOf(("reason", ErrorOf(result.Outcome).Slug))), ct);
        return result;
    }

    private static ProblemHttpResult Refusal(LifecycleOutcome outcome) => outcome == LifecycleOutcome.Forbidden
        ? Problems.Of(CofferErrors.Forbidden, "Only an Owner may suspend, reactivate or remove an Owner or an Administrator.")
        : Problems.Of(ErrorOf(outcome));

    private static CofferError ErrorOf(LifecycleOutcome outcome) => outcome switch
    {
        LifecycleOutcome.Forbidden => CofferErrors.Forbidden,
        LifecycleOutcome.LastOwner => CofferErrors.LastOwner,
        LifecycleOutcome.OwnMembership => CofferErrors.OwnMembership,
        LifecycleOutcome.WrongState => CofferErrors.MemberState,
        _ => CofferErrors.NotFound,
    };
}
