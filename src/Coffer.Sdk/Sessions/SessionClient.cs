using Coffer.Contracts;
using Coffer.Contracts.Sessions;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Sessions;

/// <summary>
/// The signed-in member's own sessions (PROTOCOL.md §6): list them, end one, or sign this one out. Another member's
/// session id is answered exactly like one that does not exist; administrators end others' sessions by deauthorising
/// their devices (<see cref="Devices.DeviceClient"/>).
/// </summary>
public sealed class SessionClient
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;

    /// <summary>A client for the member signed in as <paramref name="session"/>.</summary>
    public SessionClient(CofferSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>The member's live sessions; <see cref="SessionDto.Current"/> marks this one.</summary>
    public async Task<IReadOnlyList<SessionDto>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Json.SessionListResponse, cancellationToken).ConfigureAwait(false)).Sessions;

    /// <summary>Ends one of the member's sessions (this one included: its next request is refused).</summary>
    /// <exception cref="CofferApiException">404 for a session that does not exist, has ended or is not the member's.</exception>
    public Task EndAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        return _session.SendAsync(HttpMethod.Delete, "/api/v1/sessions/" + Uri.EscapeDataString(sessionId), cancellationToken);
    }

    /// <summary>Signs this session out: the server forgets it at once. Dispose the session afterwards.</summary>
    public Task SignOutAsync(CancellationToken cancellationToken = default) =>
        _session.SendAsync(HttpMethod.Post, "/api/v1/auth/signout", cancellationToken);
}
