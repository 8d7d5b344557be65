namespace Coffer.Server.Common.Time;

/// <summary>Unix milliseconds, the protocol's unit of time.</summary>
internal static class Clock
{
    public static long NowMs(this TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
