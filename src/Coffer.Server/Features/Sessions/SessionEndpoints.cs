using Coffer.Contracts.Sessions;
using Coffer.Server.Common.Time;
using Coffer.Server.Common.Validation;
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
        authGroup.MapPost("/signout", SignOut).WithName("Auth_SignOut").RequireCofferSession();
        return authGroup;
    }

    internal static async Task<Ok<SessionListResponse>> ListSessions(HttpContext http, SessionStore store, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        List<SessionRow> rows = await store.ListLiveAsync(caller.MemberId, clock.NowMs(), ct);
        return TypedResults.Ok(new SessionListResponse([.. rows.Select(r => new SessionDto(r.SessionId, r.DeviceId, r.DeviceName, r.Platform,
            r.CreatedAt, r.LastUsedAt, r.ExpiresAt, r.SessionId == caller.SessionId))]));
    }

    internal static async Task<Results<NoContent, NotFound>> EndSession(string sessionId, HttpContext http, SessionStore store,
        LiveSessions live, TimeProvider clock, CancellationToken ct)
    {
        if (!Ids.IsValid(sessionId) || !await store.EndAsync(http.Caller().MemberId, sessionId, clock.NowMs(), ct))
        {
            return TypedResults.NotFound();
        }
        live.Forget(sessionId);
        return TypedResults.NoContent();
    }

    internal static async Task<NoContent> SignOut(HttpContext http, SessionStore store, LiveSessions live, TimeProvider clock, CancellationToken ct)
    {
        CofferCaller caller = http.Caller();
        await store.EndAsync(caller.MemberId, caller.SessionId, clock.NowMs(), ct);
        live.Forget(caller.SessionId);
        return TypedResults.NoContent();
    }
}
