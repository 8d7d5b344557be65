using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffer.Cli.State;

namespace Coffer.Cli.Agent;

/// <summary>
/// The agent process (PROTOCOL.md §6; docs/adr/0018-cli-agent.md): started by <c>coffer</c> as <c>coffer agent</c>,
/// detached from the terminal, it listens on <c>&lt;home&gt;/run/agent.sock</c> (directory 0700, socket 0600), serves
/// only connections whose peer uid (SO_PEERCRED) is its own, each on a thread of its own with blocking reads and writes (one
/// request after another; a lookup wakes that thread directly, with no hand-off through the socket engine's event thread and
/// the thread pool), and exits — zeroing every key — on
/// <c>lock</c>, after the idle timeout, on SIGTERM, and as soon as it holds no unlocked account.
/// </summary>
internal sealed class AgentServer : IDisposable
{
    private static readonly TimeSpan FirstRequestTimeout = TimeSpan.FromSeconds(60);

    private readonly CofferHome _home;
    private readonly TimeSpan _idleTimeout;
    private readonly AgentState _state = new();
    private readonly AgentHandlers _handlers;
    private readonly CancellationTokenSource _stop = new();
    private readonly uint _uid = Native.GetEffectiveUserId();
    private readonly StreamWriter? _log;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Socket, bool> _connections = new();
    private long _lastActivity = Environment.TickCount64;
    private int _active;
    private string _exitReason = "stopped";

    private AgentServer(CofferHome home, TimeSpan idleTimeout)
    {
        _home = home;
        _idleTimeout = idleTimeout;
        _handlers = new AgentHandlers(_state, new AccountStore(home), idleTimeout);
        _log = OpenLog(home.LogFile);
    }

    public static async Task<int> RunAsync(CofferHome home, TimeSpan idleTimeout)
    {
        // Leave the terminal's session: Ctrl-C in the shell that started it, or closing that terminal, must not end it.
        _ = Native.SetSid();
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
        home.EnsureRunDirectory();
        using AgentServer agent = new(home, idleTimeout);
        return await agent.ServeAsync().ConfigureAwait(false);
    }

    private async Task<int> ServeAsync()
    {
        using PosixSignalRegistration hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => c.Cancel = true);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using PosixSignalRegistration quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, c => c.Cancel = true);
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            Stop("SIGTERM");
        });
        _home.EnsureRunDirectory();
        using Socket listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        if (!Bind(listener))
        {
            Log("another agent is serving this home; exiting");
            return ExitCodes.Ok;
        }
        try
        {
            File.SetUnixFileMode(_home.SocketPath, CofferHome.FileMode);
            listener.Listen(32);
            SecureFiles.Replace(_home.PidFile, Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            Log(Invariant($"started, pid {Environment.ProcessId}, idle timeout {(long)_idleTimeout.TotalSeconds} s"));
            Task idle = WatchIdleAsync();
            while (!_stop.IsCancellationRequested)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                // Counted from here until its first request is answered: an agent just started for an unlock must not stop
                // for having no account before that unlock is read.
                Interlocked.Increment(ref _active);
                Touch();
                _connections[connection] = true;
                new Thread(() => ServeConnection(connection)) { IsBackground = true, Name = "agent connection" }.Start();
            }
            await idle.ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        finally
        {
            // Stop answering first: a command arriving while the sessions are signed out below finds no agent ("locked")
            // instead of a connection nobody serves, and a shell's kept connection waiting for its next line ends (its
            // thread's read returns; a request being served still gets its answer).
            listener.Dispose();
            foreach (Socket connection in _connections.Keys)
            {
                EndReading(connection);
            }
            await _state.LockAllAsync().ConfigureAwait(false);
            if (File.Exists(_home.PidFile) && File.ReadAllText(_home.PidFile).Trim() == Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            {
                File.Delete(_home.PidFile);
                File.Delete(_home.SocketPath);
            }
            Log("exited: " + _exitReason + "; every key zeroed");
        }
    }

    /// <summary>Binds the socket; a leftover socket no agent answers on is removed first.</summary>
    private bool Bind(Socket listener)
    {
        UnixDomainSocketEndPoint endpoint = new(_home.SocketPath);
        try
        {
            listener.Bind(endpoint);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            using Socket probe = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(endpoint);
                return false;
            }
            catch (SocketException)
            {
                File.Delete(_home.SocketPath);
                listener.Bind(endpoint);
                return true;
            }
        }
    }

    /// <summary>
    /// Serves one connection: requests one after another until the peer closes it (a single command sends one; <c>coffer
    /// shell</c> keeps its connection for its whole life) or the agent stops. Only a request being handled (and a new
    /// connection until its first request is answered) counts as activity: an open connection waiting for its next line
    /// does not keep the agent from its idle timeout.
    /// </summary>
    private void ServeConnection(Socket socket)
    {
        bool counted = true;
        try
        {
            using (socket)
            {
                PeerCredentials peer = PeerCredentials.Of(socket);
                if (!PeerCredentials.IsSameUser(peer, _uid))
                {
                    // Not a word to another user's process: the socket's 0600 mode should have kept it out already.
                    Log(Invariant($"refused a connection from uid {peer.UserId} (pid {peer.ProcessId})"));
                    return;
                }
                // Accepted asynchronously, the socket comes non-blocking, and .NET would then emulate every blocking read
                // through its event thread (a hand-off per read, about 30 µs here): make it a plain blocking socket.
                socket.Blocking = true;
                using NetworkStream stream = new(socket, ownsSocket: false);
                // The first request comes at once from the command that connected; later ones (a shell waiting for its next
                // line) may take as long as the agent lives.
                socket.ReceiveTimeout = (int)FirstRequestTimeout.TotalMilliseconds;
                bool first = true;
                while (!_stop.IsCancellationRequested)
                {
                    AgentRequest? request = ReadRequest(stream);
                    if (first)
                    {
                        socket.ReceiveTimeout = 0;
                        first = false;
                    }
                    // Read while stopping: not answered, so the command sends it again on a new connection, which finds no agent.
                    if (request is null || _stop.IsCancellationRequested)
                    {
                        return;
                    }
                    if (!counted)
                    {
                        Interlocked.Increment(ref _active);
                        Touch();
                    }
                    counted = false;
                    bool more;
                    try
                    {
                        more = ServeRequest(stream, request);
                    }
                    finally
                    {
                        Done();
                    }
                    if (!more)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException or OperationCanceledException or JsonException
            or ObjectDisposedException)
        {
            if (!_stop.IsCancellationRequested)
            {
                Log("a connection failed: " + e.GetType().Name);
            }
        }
        finally
        {
            _connections.TryRemove(socket, out _);
            if (counted)
            {
                Done();
            }
        }
    }

    /// <summary>Ends a blocking read on the connection (the agent is stopping); its thread then closes it.</summary>
    private static void EndReading(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    /// <summary>A request (or a connection that never sent one) is over: the agent stops once nothing is in progress and no account is unlocked.</summary>
    private void Done()
    {
        Touch();
        if (Interlocked.Decrement(ref _active) == 0 && _state.Count == 0)
        {
            Stop("no unlocked account");
        }
    }

    /// <summary>
    /// Handles one request and writes its reply, on the connection's thread; false when the connection is to end (the agent
    /// locks). A handler that needs no network (a lookup in the unlocked library) completes without leaving the thread; one
    /// that syncs or signs in waits here for the thread pool to finish it.
    /// </summary>
    private bool ServeRequest(NetworkStream stream, AgentRequest request)
    {
        AgentReply reply;
        try
        {
            reply = new AgentReply(true, _handlers.HandleAsync(request, new AgentConversation(stream), _stop.Token).GetAwaiter().GetResult());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reply = new AgentReply(false, Error: Failures.From(e));
        }
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(reply, AgentJsonContext.Default.AgentReply);
        try
        {
            AgentFraming.Write(stream, bytes);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
        if (request is LockRequest)
        {
            Stop("lock");
            return false;
        }
        return true;
    }

    /// <summary>The next request, or null when the peer closed the connection between requests (or the agent ended reading).</summary>
    private static AgentRequest? ReadRequest(NetworkStream stream)
    {
        byte[]? frame = AgentFraming.Read(stream);
        if (frame is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(frame, AgentJsonContext.Default.AgentRequest);
        }
        finally
        {
            // The frame may hold a password or Secret Key.
            CryptographicOperations.ZeroMemory(frame);
        }
    }

    private async Task WatchIdleAsync()
    {
        TimeSpan tick = TimeSpan.FromMilliseconds(Math.Clamp(_idleTimeout.TotalMilliseconds / 4, 100, 5000));
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(tick, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            long idleFor = Environment.TickCount64 - Interlocked.Read(ref _lastActivity);
            if (Volatile.Read(ref _active) == 0 && idleFor >= (long)_idleTimeout.TotalMilliseconds)
            {
                Stop("idle timeout");
            }
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);

    private void Stop(string reason)
    {
        lock (_stop)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }
            _exitReason = reason;
            _stop.Cancel();
        }
    }

    private static StreamWriter? OpenLog(string path)
    {
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length > 1_000_000)
            {
                File.Delete(path);
            }
            FileStream stream = new(path, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = CofferHome.FileMode,
            });
            return new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true };
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Lifecycle lines only: no email, no secret, no account name.</summary>
    private void Log(string line)
    {
        if (_log is null)
        {
            return;
        }
        lock (_log)
        {
            _log.WriteLine(DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + " " + line);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _state.Dispose();
        _stop.Dispose();
        _log?.Dispose();
    }
}
