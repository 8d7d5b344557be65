namespace Coffer.Server.Tests.Common;

/// <summary>A clock the test moves by hand (session expiry, lockout windows) — asserting a policy's time, not a speed.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
