namespace Coffer.Server.Features.Auth;

/// <summary>
/// POLICY.md "Brute force": failed sign-ins, TOTP codes, backup codes and security-key assertions
/// are counted together per account (unknown emails too), per device and per IP over the policy's
/// window; from a few failures on, each new attempt must wait a growing delay; at the policy's
/// lockout threshold the account is locked for unknown devices until an administrator releases it
/// or the policy's duration passes. Known devices are only delayed, so nobody can lock the last
/// Owner out. The delays are fixed here; the threshold, window and duration come from the policy
/// document (<c>PolicyStore.CurrentAsync(ct).Throttle</c>), read at every attempt (docs/adr/0025).
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

    /// <summary>Whether a failure that brings the account's count in the window to <paramref name="accountFailures"/> locks it.</summary>
    public bool Locks(int accountFailures) => accountFailures >= LockoutThreshold;

    /// <summary>
    /// How long the caller must wait before another attempt, or zero. The state counts failures inside
    /// the window; the last failure times say when each delay started; a lock lasts until its own end
    /// (written when the threshold was reached), not until its failures leave the window. A locked account
    /// is refused to unknown devices before any proof is looked at, so the answer never tells whether it
    /// was right.
    /// </summary>
    public TimeSpan WaitBeforeAttempt(ThrottleState state, bool knownDevice, long now)
    {
        ArgumentNullException.ThrowIfNull(state);
        long wait = 0;
        if (!knownDevice && state.LockedUntil is long lockedUntil)
        {
            wait = Math.Max(wait, lockedUntil - now);
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

/// <summary>Recent failures for one attempt's account, device and IP (inside the policy's window), and the account's lock.</summary>
internal sealed record ThrottleState(
    int AccountFailures, long? LastAccountFailureAt,
    int DeviceFailures, long? LastDeviceFailureAt,
    int IpFailures, long? LastIpFailureAt,
    long? LockedUntil = null);

/// <summary>What failed (<c>auth_failures.factor</c>): every kind counts toward the same bounds.</summary>
internal static class FailureKinds
{
    public const string Password = "password";
    public const string Totp = "totp";
    public const string BackupCode = "backup_code";
    public const string WebAuthn = "webauthn";

    /// <summary>The failure kind of a factor kind the MFA endpoints name (<c>MfaKinds</c>: a security key's is <c>security_key</c>).</summary>
    public static string OfFactor(string mfaKind) => mfaKind switch
    {
        Totp or BackupCode => mfaKind,
        "security_key" or WebAuthn => WebAuthn,
        _ => throw new ArgumentException("Not a factor kind the failure counter knows.", nameof(mfaKind)),
    };
}
