using Coffer.Contracts.Sessions;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
using Coffer.Server.Features.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coffer.Server.Features.Sessions;

/// <remarks>
/// Any signed-in member, for their own sessions only: another member's session id is answered
/// exactly like one that does not exist (404). Administrators end others' sessions by
/// deauthorising devices (Devices feature).
/// </remarks>
internal static class SessionEndpoints
{
    public static RouteGroupBuilder MapSessionEndpoints(this RouteGroupBuilder group)
    {
        group.MapGet("/", ListSessions).WithName("Sessions_List").RequireCofferSession();
        group.MapDelete("/{sessionId}", EndSession).WithName("Sessions_End").RequireCofferSession();
        return group;
    }

    public static RouteGroupBuilder MapSignOut(this RouteGroupBuilder authGroup)
    {
        authGroup.MapPost("/signout", SignOut).WithName("Auth_SignOut").RequireCofferSession().AllowWhileMfaPending();
        return authGroup;
    }

    internal static async Task<Ok<SessionListResponse>> ListSessions(HttpContext http, SessionStore store, AuditLog audit, TimeProvider clock,
        CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        List<SessionRow> rows = await store.ListLiveAsync(caller.MemberId, now, ct);
        audit.Record(AuditEntry.By(caller, now, AuditActions.SessionsList));
        return TypedResults.Ok(new SessionListResponse([.. rows.Select(r => new SessionDto(r.SessionId, r.DeviceId, r.DeviceName, r.Platform,
            r.CreatedAt, r.LastUsedAt, r.ExpiresAt, r.SessionId == caller.SessionId))]));
    }

    internal static async Task<Results<NoContent, NotFound>> EndSession(string sessionId, HttpContext http, SessionStore store,
        LiveSessions live, AuditLog audit, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        if (!Ids.IsValid(sessionId) || !await store.EndAsync(caller.MemberId, sessionId, now, ct))
        {
            return TypedResults.NotFound();
        }
        live.Forget(sessionId);
        await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.SessionEnd, AuditTargets.Session, sessionId), ct);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> SignOut(HttpContext http, SessionStore store, LiveSessions live, AuditLog audit, TimeProvider clock,
        CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        long now = clock.NowMs();
        await store.EndAsync(caller.MemberId, caller.SessionId, now, ct);
        live.Forget(caller.SessionId);
        await audit.RecordAsync(AuditEntry.By(caller, now, AuditActions.SignOut, AuditTargets.Session, caller.SessionId), ct);
        return TypedResults.NoContent();
    }
}
