using Coffer.Server.Common.Time;
using Coffer.Server.Features.Vaults;

namespace Coffer.Server.Features.Sync;

/// <summary>
/// Keeps sealed tombstones for <see cref="Retention"/> (PROTOCOL.md §9: 90 days) and drops older ones once an hour; the
/// store raises each vault's purge marker, so a cursor from before it is answered 410 and its client resyncs. Every node
/// runs it: the purge is one idempotent transaction.
/// </summary>
internal sealed partial class TombstonePurge(VaultStore store, TimeProvider clock, ILogger<TombstonePurge> log) : BackgroundService
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(90);

    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using PeriodicTimer timer = new(Interval, clock);
        try
        {
            do
            {
                try
                {
                    long dropped = await store.PurgeTombstonesAsync(clock.NowMs() - (long)Retention.TotalMilliseconds, stoppingToken);
                    if (dropped > 0)
                    {
                        LogPurged(log, dropped);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(log, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} tombstones past the sync retention")]
    private static partial void LogPurged(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tombstone purge failed; it runs again within the hour")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
