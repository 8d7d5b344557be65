namespace Coffer.Sdk.Errors;

/// <summary>
/// The server told this device, authentically, to wipe itself (PROTOCOL.md §6, docs/adr/0012): the device was
/// deauthorised by the member or an administrator. Raised only for a <c>device-wiped</c> answer that opened under this
/// session's key for the very request and status it answers; the same words arriving unsealed, or sealed for anything
/// else, are never acted on (a plain 401 is a <see cref="CofferSessionExpiredException"/>, a bad seal a
/// <see cref="CofferProtocolException"/>).
/// </summary>
/// <remarks>
/// What the client must do: delete everything Coffer keeps on this device for the account — remembered accounts and
/// pins, unlocked or sealed keys, cached vaults and items, the session — and forget <see cref="DeviceId"/>. The session
/// is over (the server answers its next request with a plain 401), and the device id stays deauthorised for good: a
/// later sign-in with it only yields this instruction again, so a device that is to be used again signs in under a
/// new device id, as a new device (its member is mailed about it).
/// </remarks>
public sealed class CofferDeviceWipedException : CofferException
{
    /// <summary>Creates the exception for the deauthorised device.</summary>
    /// <param name="deviceId">The device to wipe (this session's device).</param>
    /// <param name="revokedAt">When it was deauthorised.</param>
    public CofferDeviceWipedException(string deviceId, DateTimeOffset revokedAt)
        : base("This device was deauthorised for your Coffer account; delete the Coffer data it holds and sign in again as a new device.")
    {
        DeviceId = deviceId;
        RevokedAt = revokedAt;
    }

    /// <summary>The deauthorised device: the one the session belongs to.</summary>
    public string DeviceId { get; }

    /// <summary>When the device was deauthorised.</summary>
    public DateTimeOffset RevokedAt { get; }
}
