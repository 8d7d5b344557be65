using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Coffer.Server.Common.Configuration;
using Coffer.Server.Common.Data;
using Microsoft.Extensions.Options;

namespace Coffer.Server.Features.Audit;

/// <summary>
/// Sends every activity-log event to a syslog collector once it is committed (POLICY.md "Export: … RFC 5424 syslog to a
/// collector, so a SIEM can alert"), formatted by <see cref="SyslogMessage"/>, over UDP (RFC 5426, one message a
/// datagram) or TCP (RFC 6587 octet counting: <c>MSG-LEN SP SYSLOG-MSG</c>).
/// <para>
/// <see cref="AuditStore"/> offers each event as it appends it, inside the appending transaction, whichever path
/// appended it (group commit or a store's own unit of work). Offering never waits: the queue is bounded and an event
/// that finds it full is dropped, counted and reported in the log at most once a minute. The sender takes an event
/// only once the database shows it committed — its seq holds the same chain hash — and forgets one whose transaction
/// rolled back (the head passed its seq with another hash, or it never appeared within a minute). So a request never
/// waits for or fails on the collector, and the collector never hears of an event the log does not hold.
/// </para>
/// <para>
/// A node sends the events it appended itself, so with several nodes each event is sent once. Events written by
/// offline commands (<c>coffer-server restore</c>) are in the log but not sent. While a TCP collector is unreachable
/// the sender retries with growing pauses and the queue fills; UDP sends that fail are counted as dropped.
/// </para>
/// </summary>
internal sealed partial class SyslogExport : BackgroundService
{
    private const int MaxBatch = 256;
    private static readonly TimeSpan CommitWait = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan ReportEvery = TimeSpan.FromMinutes(1);

    private readonly SyslogOptions _settings;
    private readonly IDatabase _database;
    private readonly ILogger<SyslogExport> _log;
    private readonly Channel<Pending>? _queue;
    private readonly int _facility;
    private readonly string _hostname;
    private long _dropped;
    private long _sent;
    private long _reportedDrops;
    private long _lastReport = long.MinValue;
    private bool _collectorDown;

    public SyslogExport(IOptions<CofferOptions> options, IDatabase database, ILogger<SyslogExport> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _settings = options.Value.Audit.Syslog;
        _database = database;
        _log = log;
        Enabled = !string.IsNullOrWhiteSpace(_settings.Host);
        _facility = SyslogMessage.FacilityCode(_settings.Facility) ?? 10;
        _hostname = SyslogMessage.HeaderField(string.IsNullOrWhiteSpace(_settings.Hostname) ? Dns.GetHostName() : _settings.Hostname, 255);
        if (Enabled)
        {
            _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, _settings.QueueCapacity))
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }
    }

    public bool Enabled { get; }

    /// <summary>Events not sent because the queue was full or a UDP send failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events handed to the collector.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Refuses settings the exporter could not honour.</summary>
    public static void Validate(SyslogOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.Host))
        {
            return;
        }
        if (settings.Protocol?.Trim().ToLowerInvariant() is not ("udp" or "tcp"))
        {
            throw new ConfigurationException($"Coffer:Audit:Syslog:Protocol is '{settings.Protocol}'; it must be 'udp' or 'tcp'.");
        }
        if (settings.Port is < 1 or > 65535)
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"Coffer:Audit:Syslog:Port is {settings.Port}; it must be 1..65535."));
        }
        if (SyslogMessage.FacilityCode(settings.Facility) is null)
        {
            throw new ConfigurationException($"Coffer:Audit:Syslog:Facility is '{settings.Facility}'; use authpriv (the default), auth or local0..local7.");
        }
        if (settings.QueueCapacity < 1)
        {
            throw new ConfigurationException("Coffer:Audit:Syslog:QueueCapacity must be 1 or more.");
        }
    }

    /// <summary>Queues an event just appended (not yet committed); never waits.</summary>
    public void Offer(AuditEventRow row)
    {
        if (_queue is not null && !_queue.Writer.TryWrite(new Pending(row, Environment.TickCount64)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_queue is null)
        {
            return;
        }
        List<Pending> waiting = [];
        await using Sender sender = _settings.Protocol.Trim().Equals("tcp", StringComparison.OrdinalIgnoreCase)
            ? new TcpSender(_settings.Host!.Trim(), _settings.Port)
            : new UdpSender(_settings.Host!.Trim(), _settings.Port);
        TimeSpan pause = TimeSpan.Zero;
        try
        {
            while (true)
            {
                if (waiting.Count == 0 && !await _queue.Reader.WaitToReadAsync(stoppingToken))
                {
                    break;
                }
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, stoppingToken);
                }
                pause = await PassAsync(waiting, sender, stoppingToken) switch
                {
                    Pass.Done => TimeSpan.Zero,
                    // Appending transactions commit within milliseconds: look again soon.
                    Pass.AwaitingCommit => Grow(pause, TimeSpan.FromMilliseconds(500)),
                    Pass.CollectorDown => Grow(pause, TimeSpan.FromSeconds(30)),
                    _ => throw new InvalidOperationException(),
                };
                ReportDrops();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: one last pass for what is committed already, briefly.
            using CancellationTokenSource drain = new(TimeSpan.FromSeconds(2));
            try
            {
                await PassAsync(waiting, sender, drain.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or DbException or IOException or SocketException)
            {
            }
            ReportDrops(force: true);
        }
    }

    private enum Pass
    {
        Done,
        AwaitingCommit,
        CollectorDown,
    }

    /// <summary>Sends what is committed, in seq order.</summary>
    private async Task<Pass> PassAsync(List<Pending> waiting, Sender sender, CancellationToken ct)
    {
        while (waiting.Count < MaxBatch && _queue!.Reader.TryRead(out Pending? next))
        {
            waiting.Add(next);
        }
        if (waiting.Count == 0)
        {
            return Pass.Done;
        }
        List<AuditEventRow> ready;
        try
        {
            ready = await CommittedAsync(waiting, ct);
        }
        catch (DbException e)
        {
            LogDatabaseFailed(_log, e);
            return Pass.CollectorDown;
        }
        foreach (AuditEventRow row in ready)
        {
            byte[] message = Encoding.UTF8.GetBytes(SyslogMessage.Format(row, _facility, _hostname, Environment.ProcessId));
            try
            {
                await sender.SendAsync(message, ct);
                Interlocked.Increment(ref _sent);
                if (_collectorDown)
                {
                    _collectorDown = false;
                    LogCollectorBack(_log, _settings.Host!, _settings.Port);
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                if (sender.RetriesFailures)
                {
                    if (!_collectorDown)
                    {
                        _collectorDown = true;
                        LogCollectorUnreachable(_log, _settings.Host!, _settings.Port, e.Message);
                    }
                    return Pass.CollectorDown;
                }
                Interlocked.Increment(ref _dropped);
            }
            waiting.RemoveAt(waiting.FindIndex(p => p.Row.Seq == row.Seq));
        }
        return waiting.Count == 0 ? Pass.Done : Pass.AwaitingCommit;
    }

    /// <summary>
    /// The waiting events the database shows committed, oldest first; forgets those that rolled back. The head is read
    /// before the rows: once the head has passed a seq, that seq's row is committed for good, so a row missing or holding
    /// another hash afterwards means the event's transaction rolled back.
    /// </summary>
    private async Task<List<AuditEventRow>> CommittedAsync(List<Pending> waiting, CancellationToken ct)
    {
        long min = waiting.Min(p => p.Row.Seq);
        long max = waiting.Max(p => p.Row.Seq);
        long head;
        Dictionary<long, byte[]> stored;
        await using (DbConnection c = await _database.OpenAsync(ct))
        {
            head = await c.ScalarAsync<long>(null, "SELECT seq FROM audit_head WHERE singleton = 1", null, ct);
            stored = (await c.ListAsync<SeqHash>(null, "SELECT seq AS Seq, hash AS Hash FROM audit_events WHERE seq BETWEEN @min AND @max",
                new { min, max }, ct)).ToDictionary(r => r.Seq, r => r.Hash);
        }
        List<AuditEventRow> ready = [];
        long now = Environment.TickCount64;
        foreach (Pending p in waiting.OrderBy(p => p.Row.Seq).ToList())
        {
            bool committed = p.Row.Seq <= head && stored.TryGetValue(p.Row.Seq, out byte[]? hash) && hash.AsSpan().SequenceEqual(p.Row.Hash);
            if (committed)
            {
                ready.Add(p.Row);
            }
            else if (p.Row.Seq <= head || now - p.QueuedAt > CommitWait.TotalMilliseconds)
            {
                waiting.Remove(p);
            }
        }
        return ready;
    }

    private static TimeSpan Grow(TimeSpan pause, TimeSpan cap) =>
        pause == TimeSpan.Zero ? TimeSpan.FromMilliseconds(20) : TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, cap.TotalMilliseconds));

    private void ReportDrops(bool force = false)
    {
        long dropped = Dropped;
        long now = Environment.TickCount64;
        if (dropped > _reportedDrops && (force || _lastReport == long.MinValue || now - _lastReport >= ReportEvery.TotalMilliseconds))
        {
            LogDropped(_log, dropped - _reportedDrops, dropped);
            _reportedDrops = dropped;
            _lastReport = now;
        }
    }

    private sealed record Pending(AuditEventRow Row, long QueuedAt);

    private sealed class SeqHash
    {
        public long Seq { get; set; }
        public byte[] Hash { get; set; } = [];
    }

    private abstract class Sender : IAsyncDisposable
    {
        /// <summary>True when a failed send should be retried (a stream), false when the message is lost (a datagram).</summary>
        public abstract bool RetriesFailures { get; }

        public abstract Task SendAsync(byte[] message, CancellationToken ct);

        public abstract ValueTask DisposeAsync();
    }

    /// <summary>RFC 5426: one message per datagram.</summary>
    private sealed class UdpSender(string host, int port) : Sender
    {
        private UdpClient? _client;
        private IPEndPoint? _endpoint;

        public override bool RetriesFailures => false;

        public override async Task SendAsync(byte[] message, CancellationToken ct)
        {
            _endpoint ??= await ResolveAsync(host, port, ct);
            _client ??= new UdpClient(_endpoint.AddressFamily);
            try
            {
                await _client.SendAsync(message, _endpoint, ct);
            }
            catch (SocketException)
            {
                // Resolve again next time: the collector may have moved.
                _client.Dispose();
                _client = null;
                _endpoint = null;
                throw;
            }
        }

        public override ValueTask DisposeAsync()
        {
            _client?.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>RFC 6587 §3.4.1 octet counting over one connection, made again after a failure.</summary>
    private sealed class TcpSender(string host, int port) : Sender
    {
        private TcpClient? _client;
        private NetworkStream? _stream;

        public override bool RetriesFailures => true;

        public override async Task SendAsync(byte[] message, CancellationToken ct)
        {
            try
            {
                if (_stream is null)
                {
                    IPEndPoint endpoint = await ResolveAsync(host, port, ct);
                    _client = new TcpClient(endpoint.AddressFamily) { NoDelay = true };
                    await _client.ConnectAsync(endpoint, ct);
                    _stream = _client.GetStream();
                }
                byte[] length = Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + " ");
                await _stream.WriteAsync(length, ct);
                await _stream.WriteAsync(message, ct);
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                Close();
                throw;
            }
        }

        public override ValueTask DisposeAsync()
        {
            Close();
            return ValueTask.CompletedTask;
        }

        private void Close()
        {
            _stream?.Dispose();
            _client?.Dispose();
            _stream = null;
            _client = null;
        }
    }

    private static async Task<IPEndPoint> ResolveAsync(string host, int port, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out IPAddress? address))
        {
            return new IPEndPoint(address, port);
        }
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, ct);
        return addresses.Length > 0 ? new IPEndPoint(addresses[0], port) : throw new SocketException((int)SocketError.HostNotFound);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Syslog export dropped {Count} activity-log events ({Total} since start): the queue was full or the collector unreachable; the log itself is complete")]
    private static partial void LogDropped(ILogger logger, long count, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Syslog collector {Host}:{Port} unreachable ({Reason}); retrying")]
    private static partial void LogCollectorUnreachable(ILogger logger, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Syslog collector {Host}:{Port} reachable again")]
    private static partial void LogCollectorBack(ILogger logger, string host, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Syslog export could not read the activity log; retrying")]
    private static partial void LogDatabaseFailed(ILogger logger, Exception exception);
}
