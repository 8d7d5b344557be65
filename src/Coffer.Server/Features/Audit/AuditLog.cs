using System.Threading.Channels;
using Coffer.Protocol.Audit;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Time;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// Appends activity-log events with group commit (POLICY.md "Accounting"): requests hand their events to an in-process
/// queue and one writer appends whatever has gathered in one transaction, so accounting costs a read request no
/// database round trip. <see cref="Record"/> does not wait (read events); <see cref="RecordAsync"/> waits until the
/// batch holding the event has committed (sign-in, sign-out and other changes, so the answer is sent only once the
/// event is durable). An event that must commit or roll back with its action is appended in the action's own
/// transaction with <see cref="AuditStore.AppendAsync(System.Data.Common.DbConnection, System.Data.Common.DbTransaction, IReadOnlyList{AuditEntry}, CancellationToken)"/>
/// instead. Never call <see cref="RecordAsync"/> inside a unit of work: on SQLite the writer needs the same write lock.
/// The writer also signs checkpoints: every <see cref="CheckpointEvery"/> events and every
/// <see cref="CheckpointInterval"/> when there are new events.
/// </summary>
internal sealed partial class AuditLog(AuditStore store, IOptions<CofferOptions> options, TimeProvider clock, ILogger<AuditLog> log) : IHostedService, IDisposable
{
    public const int CheckpointEvery = 1000;
    public static readonly TimeSpan CheckpointInterval = TimeSpan.FromSeconds(60);
    private const int MaxBatch = 512;
    private static readonly TimeSpan ReadGatherDelay = TimeSpan.FromMilliseconds(5);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private AuditKey? _key;
    private Task? _writer;
    private Task? _ticker;

    public AuditKey Key => _key ?? throw new InvalidOperationException("The audit log has not started.");

    /// <summary>Queues an event and returns at once.</summary>
    public void Record(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!_queue.Writer.TryWrite(new Pending(entry, null)))
        {
            LogDropped(log, entry.Tbs.Action);
        }
    }

    /// <summary>Queues an event and waits until it is committed.</summary>
    public Task RecordAsync(AuditEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(entry, done)))
        {
            throw new InvalidOperationException("The audit log is stopped.");
        }
        return done.Task.WaitAsync(ct);
    }

    /// <summary>Waits until every event queued before this call is committed.</summary>
    public Task FlushAsync(CancellationToken ct)
    {
        TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        return _queue.Writer.TryWrite(new Pending(null, done)) ? done.Task.WaitAsync(ct) : Task.CompletedTask;
    }

    /// <summary>Signs a checkpoint at the head now, if there are events since the last one.</summary>
    public Task<AuditCheckpointRow?> CheckpointAsync(CancellationToken ct) => store.CheckpointAsync(Key, clock.NowMs(), ct);

    /// <summary>Purges events older than <paramref name="cutoff"/> (Unix ms), keeping a signed checkpoint at the cut.</summary>
    public async Task<long> PurgeAsync(long cutoff, CancellationToken ct)
    {
        await FlushAsync(ct);
        return await store.PurgeAsync(Key, cutoff, clock.NowMs(), ct);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _key = AuditKey.LoadOrCreate(options.Value.DataDirectory);
        // Public: an Owner compares it with the key they certify (docs/adr/0016).
        LogAuditKey(log, _key.PublicKey.Fingerprint);
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
        _ticker = Task.Run(() => TickLoopAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        if (_writer is not null)
        {
            await _writer.WaitAsync(cancellationToken);
        }
        if (_ticker is not null)
        {
            await _ticker.WaitAsync(cancellationToken);
        }
        try
        {
            await CheckpointAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCheckpointFailed(log, e);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _key?.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        List<Pending> batch = new(MaxBatch);
        ChannelReader<Pending> reader = _queue.Reader;
        long checkpointSeq = 0;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            Drain(reader, batch);
            if (batch.Count < MaxBatch && batch.TrueForAll(p => p.Done is null))
            {
                // Nobody waits for read events, so they may gather a little longer: under load a commit (and its fsync) then
                // carries a few hundred events instead of a handful. A change's event is committed at once. Wall time, not the
                // clock: a test's manual clock must not hold the writer.
                await Task.Delay(ReadGatherDelay, CancellationToken.None);
                Drain(reader, batch);
            }
            List<AuditEntry> entries = [.. batch.Where(p => p.Entry is not null).Select(p => p.Entry!)];
            try
            {
                AuditChainAnchor head = await store.AppendAsync(entries, CancellationToken.None);
                foreach (Pending p in batch)
                {
                    p.Done?.TrySetResult();
                }
                // The newest checkpoint seq only grows, so a remembered one is a lower bound: the database is asked only when the
                // head may be CheckpointEvery past it, not after every batch (another node may have signed one meanwhile).
                if (entries.Count > 0 && head.Seq - checkpointSeq >= CheckpointEvery)
                {
                    checkpointSeq = await store.LatestCheckpointSeqAsync(CancellationToken.None);
                    if (head.Seq - checkpointSeq >= CheckpointEvery)
                    {
                        checkpointSeq = (await CheckpointAsync(CancellationToken.None))?.Seq ?? checkpointSeq;
                    }
                }
            }
            catch (Exception e)
            {
                LogAppendFailed(log, e, entries.Count);
                foreach (Pending p in batch)
                {
                    p.Done?.TrySetException(e);
                }
            }
        }
    }

    private static void Drain(ChannelReader<Pending> reader, List<Pending> batch)
    {
        while (batch.Count < MaxBatch && reader.TryRead(out Pending? p))
        {
            batch.Add(p);
        }
    }

    private async Task TickLoopAsync(CancellationToken ct)
    {
        using PeriodicTimer timer = new(CheckpointInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try
                {
                    await CheckpointAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogCheckpointFailed(log, e);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private sealed record Pending(AuditEntry? Entry, TaskCompletionSource? Done);

    [LoggerMessage(Level = LogLevel.Error, Message = "Activity-log append failed; {Count} events were not written")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Signing an activity-log checkpoint failed")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Activity-log checkpoints are signed with the audit key {Fingerprint}")]
    private static partial void LogAuditKey(ILogger logger, Coffer.Protocol.Signatures.Fingerprint fingerprint);

    [LoggerMessage(Level = LogLevel.Error, Message = "Activity-log event {Action} dropped: the log is stopped")]
    private static partial void LogDropped(ILogger logger, string action);
}
