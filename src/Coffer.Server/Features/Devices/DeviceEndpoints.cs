using Coffer.Contracts.Auth;
using Coffer.Contracts.Devices;
using Coffer.Contracts.Members;
using Coffer.Server.Common.Authorization;
using Coffer.Server.Common.Errors;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Coffer.Server.Features.Sessions;
using Coffer.Server.Features.StepUp;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Devices;

/// <remarks>
/// Any signed-in member, for their own devices (members awaiting confirmation included, as for their sessions);
/// <c>manage_members</c> (POLICY.md) for other members' devices. A device id the caller may not see is answered
/// exactly like one that does not exist (404). Deauthorising ends the device's sessions at once and makes its
/// client's next request answer with the sealed remote wipe (PROTOCOL.md §6, ADR 0012).
/// </remarks>
internal static partial class DeviceEndpoints
{
    public static RouteGroupBuilder MapDeviceEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", ListOwn).WithName("Devices_List").RequireCofferSession();
        group.MapDelete("/{deviceId}", Deauthorise).WithName("Devices_Deauthorise").RequireCofferSession();
        return group;
    }

    /// <summary><c>GET /members/{memberId}/devices</c>, mapped on the members group.</summary>
    public static RouteGroupBuilder MapMemberDeviceEndpoints(this RouteGroupBuilder membersGroup)
    {
        membersGroup.MapGet("/{memberId}/devices", ListMembers).WithName("Members_Devices").RequireCofferSession()
            .RequirePermission(OrgPermissions.ManageMembers);
        return membersGroup;
    }

    internal static async Task<Ok<DeviceListResponse>> ListOwn(HttpContext http, DeviceStore store, AuditLog audit, TimeProvider clock,
        CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        List<DeviceRow> rows = await store.ListAsync(caller.MemberId, now, ct);
        audit.Record(AuditEntry.By(caller, now, AuditActions.DeviceList, AuditTargets.Member, caller.MemberId));
        return TypedResults.Ok(ToResponse(rows, caller));
    }

    internal static async Task<Results<Ok<DeviceListResponse>, ProblemHttpResult>> ListMembers(string memberId, HttpContext http, DeviceStore store,
        AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        if (!Ids.IsValid(memberId) || !await store.MemberExistsAsync(memberId, ct))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        long now = clock.NowMs();
        List<DeviceRow> rows = await store.ListAsync(memberId, now, ct);
        audit.Record(AuditEntry.By(caller, now, AuditActions.DeviceList, AuditTargets.Member, memberId));
        return TypedResults.Ok(ToResponse(rows, caller));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Deauthorise(string deviceId, HttpContext http, DeviceStore store,
        StepUpGate stepUp, TimeProvider clock, ILogger<DeviceStore> log, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        if (!Ids.IsValid(deviceId))
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        // POLICY.md: deauthorising another's device is a step-up action (docs/adr/0024); asked only once the device is known
        // to be visible, so a refusal says nothing about ids the caller may not see.
        string? owner = await store.VisibleOwnerAsync(caller, deviceId, ct);
        if (owner is not null && owner != caller.MemberId
            && await stepUp.CheckAsync(http, StepUpActions.DeauthoriseOtherDevice, ct) is { } stepUpRequired)
        {
            return stepUpRequired;
        }
        Deauthorisation done = await store.DeauthoriseAsync(caller, deviceId, clock.NowMs(), ct);
        if (done.Outcome == DeauthoriseOutcome.NotFound)
        {
            return Problems.Of(CofferErrors.NotFound);
        }
        if (done.Outcome == DeauthoriseOutcome.Deauthorised)
        {
            LogDeauthorised(log, deviceId, done.MemberId!, caller.MemberId, done.SessionsEnded);
        }
        return TypedResults.NoContent();
    }

    private static DeviceListResponse ToResponse(List<DeviceRow> rows, CofferCaller caller) =>
        new([.. rows.Select(r => new DeviceDto(r.DeviceId, r.MemberId, r.Name, r.Platform, r.ClientVersion, r.CreatedAt, r.LastSeenAt,
            r.DeviceId == caller.DeviceId, (int)r.ActiveSessions, r.RevokedAt))]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Device {DeviceId} of member {MemberId} deauthorised by member {ActorId}; {Sessions} open sessions ended, each owes its client the sealed wipe")]
    private static partial void LogDeauthorised(ILogger logger, string deviceId, string memberId, string actorId, int sessions);
}
