using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Cli.State;

namespace Coffer.Cli.Agent;

/// <summary>
/// The CLI's side of the agent socket. A command sends one request on a connection of its own; <c>coffer shell</c>
/// (<paramref name="keepConnection"/>) keeps one connection for its whole life, and opens a new one when the agent closed
/// it (it locked, timed out or was restarted). Commands that unlock start the agent when none runs; every other command
/// finds it or reports "locked".
/// </summary>
internal sealed class AgentClient(CofferHome home, bool keepConnection = false) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private Socket? _kept;

    /// <summary>Sends a request and returns its result.</summary>
    /// <param name="request">The request (may hold a secret: its bytes are zeroed once sent).</param>
    /// <param name="start">Start an agent when none runs (with <paramref name="idleTimeout"/>).</param>
    /// <param name="idleTimeout">The new agent's idle timeout.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="CliException">No agent runs and none was to be started (Locked), or the request failed.</exception>
    /// <param name="prompts">Answers what the agent asks mid-request (a second factor); null answers nothing.</param>
    public async Task<JsonElement> SendAsync(AgentRequest request, bool start, TimeSpan idleTimeout, CancellationToken cancellationToken,
        Func<AgentPrompt, AgentAnswer>? prompts = null)
    {
        AgentReply reply;
        if (keepConnection)
        {
            reply = await SendKeptAsync(request, start, idleTimeout, prompts, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            using Socket socket = (start ? await ConnectOrStartAsync(idleTimeout, cancellationToken).ConfigureAwait(false) : TryConnect())
                ?? throw new CliException(ExitCodes.Locked, Failures.LockedMessage);
            reply = Exchange(socket, request, prompts, cancellationToken);
        }
        if (!reply.Ok)
        {
            AgentFailure failure = reply.Error ?? new AgentFailure(ExitCodes.Error, "The agent failed without saying why.");
            throw new CliException(failure.ExitCode, failure.Message, failure.Problem);
        }
        return reply.Result ?? default;
    }

    /// <summary>
    /// On the kept connection: one the agent closed since the last request is replaced first. If the agent closes a reused
    /// connection without a byte of answer, it was stopping and never read the request (it answers every request it reads,
    /// and stops listening before it locks), so the request goes once more on a new connection, which finds no agent
    /// ("locked") or the one that runs now.
    /// </summary>
    private async Task<AgentReply> SendKeptAsync(AgentRequest request, bool start, TimeSpan idleTimeout, Func<AgentPrompt, AgentAnswer>? prompts,
        CancellationToken cancellationToken)
    {
        Socket? socket = Interlocked.Exchange(ref _kept, null);
        bool reused = socket is not null && IsOpen(socket);
        if (socket is not null && !reused)
        {
            socket.Dispose();
            socket = null;
        }
        while (true)
        {
            socket ??= (start ? await ConnectOrStartAsync(idleTimeout, cancellationToken).ConfigureAwait(false) : TryConnect())
                ?? throw new CliException(ExitCodes.Locked, Failures.LockedMessage);
            AgentReply? reply;
            try
            {
                reply = TryExchange(socket, request, prompts, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            if (reply is not null)
            {
                _kept = socket;
                return reply;
            }
            socket.Dispose();
            socket = null;
            if (!reused)
            {
                throw Closed();
            }
            reused = false;
        }
    }

    /// <summary>
    /// Whether the agent still holds its end: between requests it never writes, so a readable socket is one it closed
    /// (or reset).
    /// </summary>
    private static bool IsOpen(Socket socket)
    {
        try
        {
            return !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => Interlocked.Exchange(ref _kept, null)?.Dispose();

    private AgentReply Exchange(Socket socket, AgentRequest request, Func<AgentPrompt, AgentAnswer>? prompts, CancellationToken cancellationToken) =>
        TryExchange(socket, request, prompts, cancellationToken) ?? throw Closed();

    private CliException Closed() =>
        new(ExitCodes.Error, "The coffer agent closed the connection without answering (see " + home.LogFile + ").");

    /// <summary>Sends a request if an agent runs; null when none does.</summary>
    public JsonElement? TrySend(AgentRequest request, CancellationToken cancellationToken)
    {
        if (TryConnect() is not Socket socket)
        {
            return null;
        }
        using (socket)
        {
            AgentReply reply = Exchange(socket, request, null, cancellationToken);
            if (!reply.Ok)
            {
                AgentFailure failure = reply.Error ?? new AgentFailure(ExitCodes.Error, "The agent failed without saying why.");
                throw new CliException(failure.ExitCode, failure.Message, failure.Problem);
            }
            return reply.Result ?? default;
        }
    }

    /// <summary>
    /// The request's conversation on <paramref name="socket"/>; null when the agent closed it before answering the request
    /// itself. Blocking reads and writes on the socket (it never sees an asynchronous call, so .NET keeps it a plain blocking
    /// descriptor): a lookup is a write, the agent's work and a read, with no thread hand-off in this process. Cancelling
    /// shuts the socket down, which ends a read in progress.
    /// </summary>
    /// <exception cref="CliException">The agent closed the connection in the middle of a conversation (after a prompt), or sent nonsense.</exception>
    private AgentReply? TryExchange(Socket socket, AgentRequest request, Func<AgentPrompt, AgentAnswer>? prompts, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using CancellationTokenRegistration cancelling = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ShutDown((Socket)s!), socket)
            : default;
        using NetworkStream stream = new(socket, ownsSocket: false);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(request, AgentJsonContext.Default.AgentRequest);
        bool first = true;
        while (true)
        {
            AgentReply? reply = RoundTrip(stream, bytes);
            cancellationToken.ThrowIfCancellationRequested();
            if (reply is null)
            {
                return first ? null : throw Closed();
            }
            first = false;
            if (reply.Prompt is null)
            {
                return reply;
            }
            // The agent asks the person something before it can answer (a second factor, docs/adr/0022).
            AgentAnswer answer = prompts?.Invoke(reply.Prompt) ?? new AgentAnswer(null);
            bytes = JsonSerializer.SerializeToUtf8Bytes(answer, AgentJsonContext.Default.AgentAnswer);
        }
    }

    private static void ShutDown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing waits on it.
        }
    }

    /// <summary>Writes one frame (zeroed once sent: it may hold a secret) and reads the reply; null when the agent closed the connection first.</summary>
    private AgentReply? RoundTrip(NetworkStream stream, byte[] bytes)
    {
        try
        {
            AgentFraming.Write(stream, bytes);
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
        byte[]? answer;
        try
        {
            answer = AgentFraming.Read(stream);
        }
        catch (IOException)
        {
            // Reset: it closed without reading what was sent.
            return null;
        }
        catch (InvalidDataException e)
        {
            throw new CliException(ExitCodes.Error, "The coffer agent closed the connection without answering (see " + home.LogFile + ").", e);
        }
        if (answer is null)
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(answer, AgentJsonContext.Default.AgentReply)
                ?? throw new CliException(ExitCodes.Error, "The coffer agent sent an empty answer.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(answer);
        }
    }

    public Socket? TryConnect()
    {
        if (!File.Exists(home.SocketPath))
        {
            return null;
        }
        Socket socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(home.SocketPath));
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    private async Task<Socket> ConnectOrStartAsync(TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        if (TryConnect() is Socket running)
        {
            return running;
        }
        home.EnsureRunDirectory();
        using FileLock starting = await FileLock.AcquireAsync(home.StartLock, cancellationToken).ConfigureAwait(false);
        if (TryConnect() is Socket raced)
        {
            return raced;
        }
        // A socket nobody answers on is left from an agent that was killed.
        File.Delete(home.SocketPath);
        Spawn(idleTimeout);
        Stopwatch waited = Stopwatch.StartNew();
        while (waited.Elapsed < StartTimeout)
        {
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
            if (TryConnect() is Socket started)
            {
                return started;
            }
        }
        throw new CliException(ExitCodes.Error, "The coffer agent did not start; see " + home.LogFile + ".");
    }

    /// <summary>Starts <c>coffer agent</c> with fresh pipes for its standard streams, which it never uses, in <c>/</c>.</summary>
    private void Spawn(TimeSpan idleTimeout)
    {
        string host = Environment.ProcessPath ?? throw new CliException(ExitCodes.Error, "Cannot tell where the coffer program is.");
        ProcessStartInfo psi = new(host)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.Ordinal))
        {
            psi.ArgumentList.Add(typeof(AgentClient).Assembly.Location);
        }
        psi.ArgumentList.Add("agent");
        psi.ArgumentList.Add("--idle-timeout");
        psi.ArgumentList.Add(((long)Math.Ceiling(idleTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture) + "s");
        psi.Environment["COFFER_HOME"] = home.Root;
        using Process agent = Process.Start(psi) ?? throw new CliException(ExitCodes.Error, "Could not start the coffer agent.");
        agent.StandardInput.Close();
    }
}

