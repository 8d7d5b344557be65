namespace Coffer.Server.Tests.Common;

/// <summary>
/// A clock the test moves by hand (session expiry, lockout windows) — asserting a policy's time, not a speed. Its timers
/// run on real time unless <paramref name="drivesTimers"/>: then they fire only when <see cref="Advance"/> passes their
/// due time, so a daily job runs when the test moves a day on.
/// </summary>
internal sealed class ManualClock(DateTimeOffset start, bool drivesTimers = false) : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_timers)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_timers)
        {
            _now += by;
            due = [.. _timers.Where(t => t.TakeIfDue(_now))];
        }
        foreach (ManualTimer timer in due)
        {
            timer.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (!drivesTimers)
        {
            return base.CreateTimer(callback, state, dueTime, period);
        }
        ManualTimer timer = new(this, callback, state);
        timer.Change(dueTime, period);
        lock (_timers)
        {
            _timers.Add(timer);
        }
        return timer;
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private DateTimeOffset? _due;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        /// <summary>Under the clock's lock: whether the timer is due at <paramref name="now"/>; if so, schedules its next run.</summary>
        public bool TakeIfDue(DateTimeOffset now)
        {
            if (_due is not { } due || due > now)
            {
                return false;
            }
            // Like a periodic timer that missed ticks: one callback, next due a period after now.
            _due = _period == Timeout.InfiniteTimeSpan ? null : now + _period;
            return true;
        }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._timers)
            {
                _period = period;
                _due = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
            }
            return true;
        }

        public void Dispose()
        {
            lock (clock._timers)
            {
                _due = null;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
