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
/// while a report is in flight go together in the next one. A report that fails (offline, signed out) puts its uses back to
/// go with the next; beyond <see cref="Capacity"/> waiting uses the oldest are dropped and counted in <see cref="Dropped"/>.
/// </summary>
public sealed class ItemUsageReporter
{
    /// <summary>The most uses kept waiting.</summary>
    public const int Capacity = 1000;

    private readonly Func<IReadOnlyList<ItemUsageDto>, CancellationToken, Task> _send;
    private readonly Lock _gate = new();
    private readonly List<ItemUsageDto> _waiting = [];
    private Task _sending = Task.CompletedTask;
    private bool _running;

    /// <summary>Creates a queue that sends with <paramref name="send"/> (normally <see cref="ItemUsage.ReportAsync"/> on the current session).</summary>
    /// <param name="send">Sends one report of at most <see cref="ItemUsage.MaxPerReport"/> uses; throws when it could not.</param>
    public ItemUsageReporter(Func<IReadOnlyList<ItemUsageDto>, CancellationToken, Task> send)
    {
        ArgumentNullException.ThrowIfNull(send);
        _send = send;
    }

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
            ItemUsageDto[] batch;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _running = false;
                    return;
                }
                batch = [.. _waiting.Take(ItemUsage.MaxPerReport)];
                _waiting.RemoveRange(0, batch.Length);
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
                    _running = false;   // the next use or flush tries again
                }
                return;
            }
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
