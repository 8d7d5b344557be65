using Coffer.Contracts;
using Coffer.Contracts.Devices;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Devices;

/// <summary>
/// A member's devices over their session (POLICY.md "Devices, travel and remote working"): list one's own, list
/// another member's (needs <c>manage_members</c>), and deauthorise one. Deauthorising ends the device's sessions at
/// once; its client's next request is answered with the sealed remote wipe, which its <see cref="CofferSession"/>
/// raises as <see cref="CofferDeviceWipedException"/>.
/// </summary>
public sealed class DeviceClient
{
    private static readonly CofferJsonContext Json = CofferJsonContext.Default;

    private readonly CofferSession _session;

    /// <summary>A client for the member signed in as <paramref name="session"/>.</summary>
    public DeviceClient(CofferSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        _session = session;
    }

    /// <summary>The signed-in member's devices, deauthorised ones included; <see cref="DeviceDto.Current"/> marks this one.</summary>
    public async Task<IReadOnlyList<DeviceDto>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _session.SendAsync(HttpMethod.Get, "/api/v1/devices", Json.DeviceListResponse, cancellationToken).ConfigureAwait(false)).Devices;

    /// <summary>Another member's devices.</summary>
    /// <exception cref="CofferApiException">403 without <c>manage_members</c>; 404 for a member that does not exist.</exception>
    public async Task<IReadOnlyList<DeviceDto>> ListForMemberAsync(string memberId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        return (await _session.SendAsync(HttpMethod.Get, $"/api/v1/members/{Uri.EscapeDataString(memberId)}/devices", Json.DeviceListResponse,
            cancellationToken).ConfigureAwait(false)).Devices;
    }

    /// <summary>
    /// Deauthorises a device: one's own, or any member's with <c>manage_members</c>. Deauthorising a device already
    /// deauthorised changes nothing. Deauthorising the device this session runs on ends this session too: its next
    /// request is answered with the wipe.
    /// </summary>
    /// <exception cref="CofferApiException">404 for a device that does not exist or that the caller may not deauthorise.</exception>
    public Task DeauthoriseAsync(string deviceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        return _session.SendAsync(HttpMethod.Delete, $"/api/v1/devices/{Uri.EscapeDataString(deviceId)}", cancellationToken);
    }
}
