using Coffer.Server.Features.Auth;

namespace Coffer.Server.Tests.Features.Auth;

public class ThrottlePolicyTests
{
    private static readonly ThrottlePolicy Policy = ThrottlePolicy.Default;
    private const long Now = 1_800_000_000_000;

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 0)]
    [InlineData(4, 1)]
    [InlineData(5, 2)]
    [InlineData(6, 4)]
    [InlineData(9, 32)]
    [InlineData(10, 60)]
    [InlineData(500, 60)]
    public void DelayAfter_GrowsFromTheFourthFailureToACap(int failures, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Policy.DelayAfter(failures, Policy.FreeFailures));

    [Fact]
    public void TenFailures_LockUnknownDevicesForAnHour_KnownDevicesOnlyWait()
    {
        Assert.False(Policy.Locks(9));
        Assert.True(Policy.Locks(10));
        ThrottleState state = new(10, Now, 0, null, 10, Now, LockedUntil: Now + (long)Policy.LockoutDuration.TotalMilliseconds);
        Assert.Equal(TimeSpan.FromHours(1), Policy.WaitBeforeAttempt(state, knownDevice: false, Now));
        Assert.Equal(TimeSpan.FromMinutes(1), Policy.WaitBeforeAttempt(state, knownDevice: true, Now));
        Assert.Equal(TimeSpan.Zero, Policy.WaitBeforeAttempt(state, knownDevice: true, Now + 60_000));
        Assert.True(Policy.WaitBeforeAttempt(state, knownDevice: false, Now + 60_000) > TimeSpan.FromMinutes(58));
    }

    [Fact]
    public void ALock_LastsItsDuration_EvenWhenItsFailuresLeftTheWindow()
    {
        // The window (15 minutes) is shorter than the lock (an hour): the failures no longer count, the lock still holds.
        ThrottleState state = new(0, null, 0, null, 0, null, LockedUntil: Now + 60_000);
        Assert.Equal(TimeSpan.FromMinutes(1), Policy.WaitBeforeAttempt(state, knownDevice: false, Now));
        Assert.Equal(TimeSpan.Zero, Policy.WaitBeforeAttempt(state, knownDevice: true, Now));
        Assert.Equal(TimeSpan.Zero, Policy.WaitBeforeAttempt(state, knownDevice: false, Now + 60_000));
    }

    [Fact]
    public void ManyFailuresFromOneIp_DelayEveryAccountTriedFromIt()
    {
        ThrottleState state = new(0, null, 0, null, 40, Now);
        Assert.True(Policy.WaitBeforeAttempt(state, knownDevice: true, Now) > TimeSpan.Zero);
    }
}
