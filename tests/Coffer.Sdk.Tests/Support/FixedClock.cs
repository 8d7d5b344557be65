namespace Coffer.Sdk.Tests.Support;

/// <summary>A clock that stands still, so certificates and ids in a test have known times.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
