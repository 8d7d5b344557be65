using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Coffer.Protocol.Encoding;
using Coffer.Sdk.Auth;
using Coffer.Sdk.Errors;
using Coffer.Server.Features.Audit;
using Coffer.Server.Tests.Common;
using Coffer.Server.Tests.Common.Data;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Tests.Features.Audit;

/// <summary>
/// RFC 5424 export of the activity log to a collector (POLICY.md "Export"): a real listener on loopback plays the
/// collector, and every message is parsed by the RFC's grammar (§6) and checked against the event in the database.
/// </summary>
public class SyslogExportTests
{
    private const string Hostname = "coffer-node-1.example";

    [Theory, BothEngines]
    public async Task Tcp_EveryCommittedEvent_ArrivesOctetCounted_AsRfc5424_WithNoEmail(Engine engine)
    {
        using TcpCollector collector = TcpCollector.Start();
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, settings: Settings("tcp", collector.Port));
        await Assert.ThrowsAnyAsync<CofferException>(() => org.SignInOwnerAsync(password: "not the password at all 1234"));
        using (SignInResult signIn = await org.SignInOwnerAsync())
        {
        }
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        List<AuditEventRow> events = await new AuditStore(org.Database.Database).EventsAsync(0, 100, CancellationToken.None);

        List<Rfc5424Message> received = await WaitForAsync(collector.Messages, events.Count);

        Assert.Equal(events.Select(e => e.Seq), received.Select(m => long.Parse(m.Param("seq")!, CultureInfo.InvariantCulture)));
        foreach ((AuditEventRow e, Rfc5424Message m) in events.Zip(received))
        {
            AssertDescribes(e, m, facility: 10);
        }
        Assert.Equal(["org.create", "auth.signin", "auth.signin"], received.Select(m => m.MessageId).Take(3));
        Assert.Equal(4, received[1].Severity);   // the failed sign-in: Warning
        Assert.Equal(6, received[2].Severity);   // the sign-in: Informational
        Assert.All(collector.Raw, raw => Assert.DoesNotContain("@example.org", raw, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(0, org.Server.Services.GetRequiredService<SyslogExport>().Dropped);
    }

    [Theory, BothEngines]
    public async Task Udp_OneDatagramPerEvent_UnderTheConfiguredFacility(Engine engine)
    {
        using UdpCollector collector = UdpCollector.Start();
        Dictionary<string, string?> settings = Settings("udp", collector.Port);
        settings["Coffer:Audit:Syslog:Facility"] = "local3";
        await using TestOrganisation org = await TestOrganisation.StartAsync(engine, settings: settings);
        using (SignInResult signIn = await org.SignInOwnerAsync())
        {
        }
        await org.Server.Services.GetRequiredService<AuditLog>().FlushAsync(CancellationToken.None);
        List<AuditEventRow> events = await new AuditStore(org.Database.Database).EventsAsync(0, 100, CancellationToken.None);

        List<Rfc5424Message> received = await WaitForAsync(collector.Messages, events.Count);

        Assert.Equal(events.Count, received.Count);
        foreach ((AuditEventRow e, Rfc5424Message m) in events.Zip(received.OrderBy(m => long.Parse(m.Param("seq")!, CultureInfo.InvariantCulture))))
        {
            AssertDescribes(e, m, facility: 19);
        }
    }

    [Fact]
    public async Task CollectorDown_RequestsStillSucceed_AndDropsAreCountedAndLogged()
    {
        CapturedLogs logs = new();
        Dictionary<string, string?> settings = Settings("tcp", ServerProcess.FreePort());   // nobody listens there
        settings["Coffer:Audit:Syslog:QueueCapacity"] = "2";
        await using TestOrganisation org = await TestOrganisation.StartAsync(Engine.Sqlite, settings: settings, configure: b => b.Logging.AddProvider(logs));

        for (int i = 0; i < 3; i++)
        {
            using SignInResult signIn = await org.SignInOwnerAsync();
            await signIn.Session.SendAsync(HttpMethod.Get, "/api/v1/sessions", Contracts.CofferJsonContext.Default.SessionListResponse);
        }

        SyslogExport export = org.Server.Services.GetRequiredService<SyslogExport>();
        // The writer hands events to the export after their commit, and the sender notices the dead collector on its own
        // thread: on a busy machine either may lag the answers, so wait for both (up to 20 s) rather than race them.
        for (int i = 0; i < 400 && (export.Dropped == 0 || !logs.Lines.Any(l => l.Contains("Syslog export dropped", StringComparison.Ordinal))); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(export.Dropped > 0);
        Assert.Equal(0, export.Sent);
        Assert.Contains(logs.Lines, l => l.Contains("Syslog export dropped", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("unreachable", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Coffer:Audit:Syslog:Protocol", "smoke-signals")]
    [InlineData("Coffer:Audit:Syslog:Facility", "kern")]
    [InlineData("Coffer:Audit:Syslog:Port", "70000")]
    public void Build_BadSyslogSetting_IsRefusedNamingIt(string key, string value)
    {
        Dictionary<string, string?> settings = Settings("udp", 514);
        settings[key] = value;
        ConfigurationException e = Assert.Throws<ConfigurationException>(() => CofferServer.Build([], b => b.Configuration.AddInMemoryCollection(settings)));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(string protocol, int port) => new()
    {
        ["Coffer:Audit:Syslog:Host"] = "127.0.0.1",
        ["Coffer:Audit:Syslog:Port"] = port.ToString(CultureInfo.InvariantCulture),
        ["Coffer:Audit:Syslog:Protocol"] = protocol,
        ["Coffer:Audit:Syslog:Hostname"] = Hostname,
    };

    private static void AssertDescribes(AuditEventRow e, Rfc5424Message m, int facility)
    {
        Assert.Equal(1, m.Version);
        Assert.Equal(facility, m.Facility);
        Assert.Equal(e.Outcome == "success" ? 6 : 4, m.Severity);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(e.Time), m.Timestamp);
        Assert.Equal(Hostname, m.Hostname);
        Assert.Equal("coffer-server", m.AppName);
        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), m.ProcId);
        Assert.Equal(e.Action, m.MessageId);
        Assert.Equal("coffer@32473", m.StructuredDataId);
        Assert.Equal(Base64Url.Encode(e.Hash), m.Param("hash"));
        Assert.Equal(e.Action, m.Param("action"));
        Assert.Equal(e.Outcome, m.Param("outcome"));
        Assert.Equal(e.ActorMemberId, m.Param("actor"));
        Assert.Equal(e.DeviceId, m.Param("device"));
        Assert.Equal(e.SessionId, m.Param("session"));
        Assert.Equal(e.Ip, m.Param("ip"));
        Assert.Equal(e.TargetKind, m.Param("targetKind"));
        Assert.Equal(e.TargetId, m.Param("targetId"));
        Assert.Equal($"{e.Action} {e.Outcome}", m.Message);
    }

    private static async Task<List<Rfc5424Message>> WaitForAsync(ConcurrentQueue<string> raw, int count)
    {
        for (int i = 0; i < 300 && raw.Count < count; i++)
        {
            await Task.Delay(50);
        }
        Assert.True(raw.Count >= count, $"the collector got {raw.Count} of {count} messages");
        return [.. raw.Select(Rfc5424Message.Parse)];
    }

    /// <summary>A TCP collector reading RFC 6587 octet-counted frames (<c>MSG-LEN SP SYSLOG-MSG</c>).</summary>
    private sealed class TcpCollector : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();

        public ConcurrentQueue<string> Messages { get; } = new();

        public IEnumerable<string> Raw => Messages;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public static TcpCollector Start()
        {
            TcpCollector collector = new();
            collector._listener.Start();
            _ = collector.AcceptAsync();
            return collector;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    _ = ReadAsync(client);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task ReadAsync(TcpClient client)
        {
            using (client)
            {
                using Stream stream = client.GetStream();
                try
                {
                    while (true)
                    {
                        StringBuilder length = new();
                        int b;
                        while ((b = await ReadByteAsync(stream)) != ' ')
                        {
                            Assert.InRange(b, '0', '9');
                            length.Append((char)b);
                        }
                        byte[] message = new byte[int.Parse(length.ToString(), CultureInfo.InvariantCulture)];
                        await stream.ReadExactlyAsync(message, _stop.Token);
                        Messages.Enqueue(Encoding.UTF8.GetString(message));
                    }
                }
                catch (Exception e) when (e is EndOfStreamException or IOException or OperationCanceledException)
                {
                }
            }
        }

        private async Task<int> ReadByteAsync(Stream stream)
        {
            byte[] one = new byte[1];
            await stream.ReadExactlyAsync(one, _stop.Token);
            return one[0];
        }
    }

    /// <summary>A UDP collector: one message per datagram (RFC 5426).</summary>
    private sealed class UdpCollector : IDisposable
    {
        private readonly UdpClient _client = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly CancellationTokenSource _stop = new();

        public ConcurrentQueue<string> Messages { get; } = new();

        public int Port => ((IPEndPoint)_client.Client.LocalEndPoint!).Port;

        public static UdpCollector Start()
        {
            UdpCollector collector = new();
            _ = collector.ReceiveAsync();
            return collector;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _client.Dispose();
            _stop.Dispose();
        }

        private async Task ReceiveAsync()
        {
            try
            {
                while (true)
                {
                    UdpReceiveResult datagram = await _client.ReceiveAsync(_stop.Token);
                    Messages.Enqueue(Encoding.UTF8.GetString(datagram.Buffer));
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }
}

/// <summary>An RFC 5424 message parsed by the grammar of §6 (one SD-ELEMENT, as Coffer sends).</summary>
internal sealed record Rfc5424Message(int Facility, int Severity, int Version, DateTimeOffset Timestamp, string Hostname, string AppName, string ProcId,
    string MessageId, string StructuredDataId, IReadOnlyDictionary<string, string> Params, string? Message)
{
    public string? Param(string name) => Params.GetValueOrDefault(name);

    public static Rfc5424Message Parse(string text)
    {
        int at = 0;
        Assert.Equal('<', text[at++]);
        int close = text.IndexOf('>', at);
        Assert.InRange(close - at, 1, 3);
        int pri = int.Parse(text[at..close], CultureInfo.InvariantCulture);
        Assert.InRange(pri, 0, 191);
        at = close + 1;
        string version = Token(text, ref at);
        string timestamp = Token(text, ref at);
        string hostname = Token(text, ref at);
        string appName = Token(text, ref at);
        string procId = Token(text, ref at);
        string msgId = Token(text, ref at);
        Assert.InRange(hostname.Length, 1, 255);
        Assert.InRange(appName.Length, 1, 48);
        Assert.InRange(procId.Length, 1, 128);
        Assert.InRange(msgId.Length, 1, 32);
        Assert.All(hostname + appName + procId + msgId, c => Assert.InRange(c, '!', '~'));
        // FULL-DATE "T" FULL-TIME with "Z" (§6.2.3).
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$", timestamp);
        Assert.Equal('[', text[at++]);
        int idEnd = text.IndexOfAny([' ', ']'], at);
        string sdId = text[at..idEnd];
        at = idEnd;
        Dictionary<string, string> parameters = new(StringComparer.Ordinal);
        while (text[at] == ' ')
        {
            at++;
            int eq = text.IndexOf('=', at);
            string name = text[at..eq];
            Assert.InRange(name.Length, 1, 32);
            at = eq + 1;
            Assert.Equal('"', text[at++]);
            StringBuilder value = new();
            while (text[at] != '"')
            {
                if (text[at] == '\\' && text[at + 1] is '"' or '\\' or ']')
                {
                    at++;
                }
                value.Append(text[at++]);
            }
            at++;
            parameters.Add(name, value.ToString());
        }
        Assert.Equal(']', text[at++]);
        string? message = at < text.Length ? text[(at + 1)..] : null;
        if (message is not null)
        {
            Assert.Equal(' ', text[at]);
        }
        return new Rfc5424Message(pri / 8, pri % 8, int.Parse(version, CultureInfo.InvariantCulture),
            DateTimeOffset.Parse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), hostname, appName, procId, msgId, sdId,
            parameters, message);
    }

    private static string Token(string text, ref int at)
    {
        int space = text.IndexOf(' ', at);
        string token = text[at..space];
        at = space + 1;
        return token;
    }
}
