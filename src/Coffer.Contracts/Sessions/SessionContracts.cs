namespace Coffer.Contracts.Sessions;

/// <summary>One of the member's sessions.</summary>
/// <param name="SessionId">Session id.</param>
/// <param name="DeviceId">Device id.</param>
/// <param name="DeviceName">Device name as the device reported it.</param>
/// <param name="Platform">Device platform.</param>
/// <param name="CreatedAt">Unix ms.</param>
/// <param name="LastUsedAt">Unix ms.</param>
/// <param name="ExpiresAt">Unix ms: the absolute lifetime's end.</param>
/// <param name="Current">True for the session this request came on.</param>
public sealed record SessionDto(
    [property: JsonRequired] string SessionId,
    [property: JsonRequired] string DeviceId,
    [property: JsonRequired] string DeviceName,
    [property: JsonRequired] string Platform,
    [property: JsonRequired] long CreatedAt,
    [property: JsonRequired] long LastUsedAt,
    [property: JsonRequired] long ExpiresAt,
    [property: JsonRequired] bool Current);

/// <summary><c>GET /api/v1/sessions</c>.</summary>
/// <param name="Sessions">The member's live sessions.</param>
public sealed record SessionListResponse([property: JsonRequired] IReadOnlyList<SessionDto> Sessions);
