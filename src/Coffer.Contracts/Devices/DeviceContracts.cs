namespace Coffer.Contracts.Devices;

/// <summary>One of a member's devices: every device that ever signed in to the account, deauthorised ones included.</summary>
/// <param name="DeviceId">Device id (chosen by the device, UUIDv7).</param>
/// <param name="MemberId">The member the device belongs to.</param>
/// <param name="Name">Device name as the device last reported it.</param>
/// <param name="Platform">Platform as the device last reported it.</param>
/// <param name="ClientVersion">Client version as the device last reported it.</param>
/// <param name="CreatedAt">Unix ms of its first sign-in.</param>
/// <param name="LastSeenAt">Unix ms of its last sign-in.</param>
/// <param name="Current">True for the device this request came from.</param>
/// <param name="ActiveSessions">How many of its sessions are usable now (0 once deauthorised).</param>
/// <param name="RevokedAt">Unix ms of its deauthorisation; absent while it is authorised.</param>
public sealed record DeviceDto(
    [property: JsonRequired] string DeviceId,
    [property: JsonRequired] string MemberId,
    [property: JsonRequired] string Name,
    [property: JsonRequired] string Platform,
    [property: JsonRequired] string ClientVersion,
    [property: JsonRequired] long CreatedAt,
    [property: JsonRequired] long LastSeenAt,
    [property: JsonRequired] bool Current,
    [property: JsonRequired] int ActiveSessions,
    long? RevokedAt = null);

/// <summary><c>GET /api/v1/devices</c> and <c>GET /api/v1/members/{memberId}/devices</c>.</summary>
/// <param name="Devices">The member's devices, oldest first.</param>
public sealed record DeviceListResponse([property: JsonRequired] IReadOnlyList<DeviceDto> Devices);

/// <summary>
/// The remote-wipe instruction (PROTOCOL.md §6, ADR 0012): an RFC 9457 problem of type
/// <see cref="Errors.ErrorTypes.DeviceWiped"/> with status 401, answered — sealed under the session key like every
/// answer to a request that passed the session check — to the first request of a session of a deauthorised device.
/// A client acts on it only after it opened under its own session key for that request and status; the same JSON
/// arriving unsealed is an ordinary plain 401.
/// </summary>
/// <param name="Type">Always <c>/errors/device-wiped</c>.</param>
/// <param name="DeviceId">The deauthorised device: the one the session belongs to.</param>
/// <param name="RevokedAt">Unix ms of the deauthorisation.</param>
/// <param name="Title">The catalog's fixed title.</param>
/// <param name="Status">401.</param>
/// <param name="Detail">What the client should do, for a person.</param>
/// <param name="TraceId">The id the server logged the request under.</param>
public sealed record DeviceWipedProblem(
    [property: JsonRequired] string Type,
    [property: JsonRequired] string DeviceId,
    [property: JsonRequired] long RevokedAt,
    string? Title = null,
    int? Status = null,
    string? Detail = null,
    string? TraceId = null);
