using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Cli.State;

namespace Coffer.Cli.Agent;

/// <summary>
/// The CLI's side of the agent socket: one connection per request. Commands that unlock start the agent when none
/// runs; every other command finds it or reports "locked".
/// </summary>
internal sealed class AgentClient(CofferHome home)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

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
        using Socket socket = (start ? await ConnectOrStartAsync(idleTimeout, cancellationToken).ConfigureAwait(false) : TryConnect())
            ?? throw new CliException(ExitCodes.Locked, Failures.LockedMessage);
        AgentReply reply = await ExchangeAsync(socket, request, prompts, cancellationToken).ConfigureAwait(false);
        if (!reply.Ok)
        {
            AgentFailure failure = reply.Error ?? new AgentFailure(ExitCodes.Error, "The agent failed without saying why.");
            throw new CliException(failure.ExitCode, failure.Message, failure.Problem);
        }
        return reply.Result ?? default;
    }

    /// <summary>Sends a request if an agent runs; null when none does.</summary>
    public async Task<JsonElement?> TrySendAsync(AgentRequest request, CancellationToken cancellationToken)
    {
        if (TryConnect() is not Socket socket)
        {
            return null;
        }
        using (socket)
        {
            AgentReply reply = await ExchangeAsync(socket, request, null, cancellationToken).ConfigureAwait(false);
            if (!reply.Ok)
            {
                AgentFailure failure = reply.Error ?? new AgentFailure(ExitCodes.Error, "The agent failed without saying why.");
                throw new CliException(failure.ExitCode, failure.Message, failure.Problem);
            }
            return reply.Result ?? default;
        }
    }

    private async Task<AgentReply> ExchangeAsync(Socket socket, AgentRequest request, Func<AgentPrompt, AgentAnswer>? prompts,
        CancellationToken cancellationToken)
    {
        await using NetworkStream stream = new(socket, ownsSocket: false);
        byte[] bytes = JsonSerializer.SerializeToUtf8Bytes(request, AgentJsonContext.Default.AgentRequest);
        while (true)
        {
            AgentReply reply = await RoundTripAsync(stream, bytes, cancellationToken).ConfigureAwait(false);
            if (reply.Prompt is null)
            {
                return reply;
            }
            // The agent asks the person something before it can answer (a second factor, docs/adr/0022).
            AgentAnswer answer = prompts?.Invoke(reply.Prompt) ?? new AgentAnswer(null);
            bytes = JsonSerializer.SerializeToUtf8Bytes(answer, AgentJsonContext.Default.AgentAnswer);
        }
    }

    /// <summary>Writes one frame (zeroed once sent: it may hold a secret) and reads the reply.</summary>
    private async Task<AgentReply> RoundTripAsync(NetworkStream stream, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await AgentFraming.WriteAsync(stream, bytes, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new CliException(ExitCodes.Error, "The coffer agent closed the connection (see " + home.LogFile + ").", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
        byte[]? answer;
        try
        {
            answer = await AgentFraming.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            throw new CliException(ExitCodes.Error, "The coffer agent closed the connection without answering (see " + home.LogFile + ").", e);
        }
        if (answer is null)
        {
            throw new CliException(ExitCodes.Error, "The coffer agent closed the connection without answering (see " + home.LogFile + ").");
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
