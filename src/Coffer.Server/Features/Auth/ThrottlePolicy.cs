namespace Coffer.Server.Features.Auth;

/// <summary>
/// POLICY.md "Brute force": sign-in failures are counted per account (unknown emails too),
/// per device and per IP over a window; from a few failures on, each new attempt must wait a
/// growing delay; at the lockout threshold the account is locked for unknown devices until an
/// administrator releases it or the lock expires. Known devices are only delayed, so nobody can
/// lock the last Owner out. Defaults are the policy's; the policy issue makes them settings.
/// </summary>
internal sealed record ThrottlePolicy(
    int FreeFailures,
    TimeSpan FirstDelay,
    TimeSpan MaximumDelay,
    int LockoutThreshold,
    TimeSpan Window,
    TimeSpan LockoutDuration,
    int IpFreeFailures)
{
    public static ThrottlePolicy Default { get; } = new(
        FreeFailures: 3,
        FirstDelay: TimeSpan.FromSeconds(1),
        MaximumDelay: TimeSpan.FromMinutes(1),
        LockoutThreshold: 10,
        Window: TimeSpan.FromMinutes(15),
        LockoutDuration: TimeSpan.FromHours(1),
        IpFreeFailures: 30);

    /// <summary>The delay owed after <paramref name="failures"/> recent failures: none for the first few, then doubling to a cap.</summary>
    public TimeSpan DelayAfter(int failures, int freeFailures)
    {
        if (failures <= freeFailures)
        {
            return TimeSpan.Zero;
        }
        int doublings = Math.Min(failures - freeFailures - 1, 20);
        TimeSpan delay = FirstDelay * (1L << doublings);
        return delay > MaximumDelay ? MaximumDelay : delay;
    }

    /// <summary>
    /// How long the caller must wait before another attempt, or zero. The state counts failures inside
    /// the window; the last failure times say when each delay started. A locked account is refused to
    /// unknown devices whatever the password, so the answer never tells whether it was right.
    /// </summary>
    public TimeSpan WaitBeforeAttempt(ThrottleState state, bool knownDevice, long now)
    {
        ArgumentNullException.ThrowIfNull(state);
        long wait = 0;
        if (!knownDevice && state.AccountFailures >= LockoutThreshold && state.LastAccountFailureAt is long lockedAt)
        {
            wait = Math.Max(wait, lockedAt + (long)LockoutDuration.TotalMilliseconds - now);
        }
        if (state.LastAccountFailureAt is long lastAccount)
        {
            wait = Math.Max(wait, lastAccount + (long)DelayAfter(state.AccountFailures, FreeFailures).TotalMilliseconds - now);
        }
        if (state.LastDeviceFailureAt is long lastDevice)
        {
            wait = Math.Max(wait, lastDevice + (long)DelayAfter(state.DeviceFailures, FreeFailures).TotalMilliseconds - now);
        }
        if (state.LastIpFailureAt is long lastIp)
        {
            wait = Math.Max(wait, lastIp + (long)DelayAfter(state.IpFailures, IpFreeFailures).TotalMilliseconds - now);
        }
        return wait > 0 ? TimeSpan.FromMilliseconds(wait) : TimeSpan.Zero;
    }
}

/// <summary>Recent failures for one attempt's account, device and IP (inside the policy's window).</summary>
internal sealed record ThrottleState(
    int AccountFailures, long? LastAccountFailureAt,
    int DeviceFailures, long? LastDeviceFailureAt,
    int IpFailures, long? LastIpFailureAt);
