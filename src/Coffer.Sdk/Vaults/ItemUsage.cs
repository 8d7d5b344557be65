using Coffer.Contracts;
using Coffer.Contracts.Vaults;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Http;

namespace Coffer.Sdk.Vaults;

/// <summary>
/// Reports uses of items' secrets for the activity log (POLICY.md "Accounting": reveal, copy and autofill are reported by
/// clients, since only they can open items). Ids, the action and the field's purpose only: never a value, label or title.
/// </summary>
public static class ItemUsage
{
    /// <summary>The most uses one report may hold.</summary>
    public const int MaxPerReport = 100;

    /// <summary>Sends one report (<c>POST /api/v1/vaults/usage</c>); the answer comes once the events are committed.</summary>
    /// <param name="session">The member's session.</param>
    /// <param name="uses">1 to <see cref="MaxPerReport"/> uses, oldest first.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="CofferApiException">The server refused the report.</exception>
    public static Task<ItemUsageRecorded> ReportAsync(CofferSession session, IReadOnlyList<ItemUsageDto> uses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(uses);
        return session.SendAsync(HttpMethod.Post, "/api/v1/vaults/usage", new ItemUsageReport(uses), CofferJsonContext.Default.ItemUsageReport,
            CofferJsonContext.Default.ItemUsageRecorded, cancellationToken);
    }
}

/// <summary>
/// Collects uses and sends them in the background, one report at a time: a use never waits for the network, and uses made
/// while a report is in flight go together in the next one. Reports are spaced by at least <see cref="Spacing"/> while uses
/// keep coming (a script reading a thousand secrets makes a report a second, not a thousand; the first use after a quiet
/// spell goes at once), and <see cref="FlushAsync"/> sends what waits without that pause. A report that fails (offline, signed out) puts its uses back to
/// go with the next; beyond <see cref="Capacity"/> waiting uses the oldest are dropped and counted in <see cref="Dropped"/>.
/// </summary>
public sealed class ItemUsageReporter
{
    /// <summary>The most uses kept waiting.</summary>
    public const int Capacity = 1000;

    /// <summary>The default least time between the starts of two reports while uses keep coming.</summary>
    public static readonly TimeSpan DefaultSpacing = TimeSpan.FromSeconds(1);

    private readonly Func<IReadOnlyList<ItemUsageDto>, CancellationToken, Task> _send;
    private readonly TimeProvider _clock;
    private readonly Lock _gate = new();
    private readonly List<ItemUsageDto> _waiting = [];
    private Task _sending = Task.CompletedTask;
    private bool _running;
    private bool _hurry;
    private CancellationTokenSource? _pause;
    private long? _lastReportAt;

    /// <summary>Creates a queue that sends with <paramref name="send"/> (normally <see cref="ItemUsage.ReportAsync"/> on the current session).</summary>
    /// <param name="send">Sends one report of at most <see cref="ItemUsage.MaxPerReport"/> uses; throws when it could not.</param>
    /// <param name="spacing">The least time between the starts of two reports while uses keep coming (default <see cref="DefaultSpacing"/>).</param>
    /// <param name="clock">The clock the spacing is measured on (default the system's).</param>
    public ItemUsageReporter(Func<IReadOnlyList<ItemUsageDto>, CancellationToken, Task> send, TimeSpan? spacing = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(send);
        _send = send;
        Spacing = spacing ?? DefaultSpacing;
        ArgumentOutOfRangeException.ThrowIfLessThan(Spacing, TimeSpan.Zero, nameof(spacing));
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>The least time between the starts of two reports while uses keep coming.</summary>
    public TimeSpan Spacing { get; }

    /// <summary>Uses not yet reported.</summary>
    public int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Uses dropped because too many were waiting.</summary>
    public int Dropped { get; private set; }

    /// <summary>Adds a use and starts a report unless one is in flight.</summary>
    /// <param name="use">The use.</param>
    public void Add(ItemUsageDto use)
    {
        ArgumentNullException.ThrowIfNull(use);
        lock (_gate)
        {
            Keep([use], atFront: false);
            StartLocked();
        }
    }

    /// <summary>
    /// Sends everything waiting; returns true when nothing is left waiting, false when a report failed (its uses stay waiting)
    /// or <paramref name="cancellationToken"/> stopped the wait first. Never throws for either.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; a report in flight still completes or fails on its own.</param>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken = default)
    {
        Task sending;
        lock (_gate)
        {
            StartLocked();
            if (_running)
            {
                _hurry = true;
                _pause?.Cancel();
            }
            sending = _sending;
        }
        try
        {
            await sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        return Waiting == 0;
    }

    private void StartLocked()
    {
        if (!_running && _waiting.Count > 0)
        {
            _running = true;
            _sending = Task.Run(SendAllAsync);
        }
    }

    private async Task SendAllAsync()
    {
        while (true)
        {
            await PauseAsync().ConfigureAwait(false);
            ItemUsageDto[] batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _running = _hurry = false;
                    return;
                }
                batch = [.. _waiting.Take(ItemUsage.MaxPerReport)];
                _waiting.RemoveRange(0, batch.Length);
                _lastReportAt = _clock.GetTimestamp();
            }
            try
            {
                await _send(batch, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Whatever the sender threw (offline, signed out, a re-sign-in that needs a person): the uses wait for the next
                // try. A reporter that stopped here would never send again, and a flush at lock would fail the lock.
                lock (_gate)
                {
                    Keep(batch, atFront: true);
                    _running = _hurry = false;   // the next use or flush tries again
                }
                return;
            }
        }
    }

    /// <summary>Before a report: the rest of <see cref="Spacing"/> since the last one began, unless a flush hurries it.</summary>
    private async Task PauseAsync()
    {
        CancellationTokenSource pause;
        TimeSpan left;
        lock (_gate)
        {
            left = _lastReportAt is long last ? Spacing - _clock.GetElapsedTime(last) : TimeSpan.Zero;
            if (_waiting.Count == 0 || _hurry || left <= TimeSpan.Zero)
            {
                return;
            }
            _pause = pause = new CancellationTokenSource();
        }
        try
        {
            await Task.Delay(left, _clock, pause.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A flush: send now.
        }
        finally
        {
            lock (_gate)
            {
                _pause = null;
            }
            pause.Dispose();
        }
    }

    private void Keep(IReadOnlyList<ItemUsageDto> uses, bool atFront)
    {
        _waiting.InsertRange(atFront ? 0 : _waiting.Count, uses);
        int over = _waiting.Count - Capacity;
        if (over > 0)
        {
            _waiting.RemoveRange(0, over);
            Dropped += over;
        }
    }
}
