using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Protocol.Encoding;

namespace Coffer.Sdk.WebAuthn;

/// <summary>
/// One running browser ceremony (see <see cref="BrowserCeremony"/>): the loopback listener answers only requests that
/// carry its state (compared in constant time) and come from the server's origin, serves the options, accepts exactly
/// one result, and closes when it has it, when its time runs out, or when disposed.
/// </summary>
/// <typeparam name="TCredential">The credential the page returns (registration or assertion).</typeparam>
public sealed class BrowserCeremony<TCredential> : IAsyncDisposable
    where TCredential : class
{
    private const int StateSize = 32;
    private const int MaxHeaderBytes = 16 * 1024;
    private const int MaxBodyBytes = 64 * 1024;
    private static readonly TimeSpan ConnectionTimeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener;
    private readonly byte[] _statePath;
    private readonly string _serverOrigin;
    private readonly string _host;
    private readonly byte[] _options;
    private readonly JsonTypeInfo<TCredential> _credentialType;
    private readonly TaskCompletionSource<TCredential> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _resultTaken;
    private int _optionsServed;

    internal BrowserCeremony(Uri server, string op, string purpose, Action<Utf8JsonWriter> writePublicKey,
        JsonTypeInfo<TCredential> credentialType, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(purpose);
        if (!server.IsAbsoluteUri || server.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("The server address must be an absolute http(s) address.", nameof(server));
        }
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "The timeout must be positive.");
        }
        _serverOrigin = server.GetLeftPart(UriPartial.Authority);
        _credentialType = credentialType;
        _options = WriteOptions(op, purpose, writePublicKey);

        byte[] state = RandomNumberGenerator.GetBytes(StateSize);
        string stateText = Base64Url.Encode(state);
        _statePath = Encoding.ASCII.GetBytes("/" + stateText + "/");

        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        int port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _host = "127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        PageAddress = new Uri(new Uri(server, "/webauthn") + "#http://" + _host + "/" + stateText);

        _stop.CancelAfter(timeout);
        _stop.Token.Register(() => _result.TrySetException(new BrowserCeremonyException(BrowserCeremonyFailure.TimedOut, null)));
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>
    /// The address to open in a browser on this computer: the server's page, with the one-time loopback address in
    /// the fragment (which browsers never send to the server).
    /// </summary>
    public Uri PageAddress { get; }

    /// <summary>Waits for the browser's credential.</summary>
    /// <param name="cancellationToken">Stops waiting (the ceremony keeps running until disposed).</param>
    /// <returns>The credential as the page sent it, in the contracts' form, for the caller to finish with the server.</returns>
    /// <exception cref="BrowserCeremonyException">Timed out, refused by the browser, or an unreadable answer.</exception>
    public Task<TCredential> WaitAsync(CancellationToken cancellationToken = default) => _result.Task.WaitAsync(cancellationToken);

    /// <summary>Closes the listener; a ceremony still waiting ends as timed out.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private static byte[] WriteOptions(string op, string purpose, Action<Utf8JsonWriter> writePublicKey)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("op", op);
            writer.WriteString("purpose", purpose);
            writer.WritePropertyName("publicKey");
            writePublicKey(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        using CancellationTokenRegistration closeOnStop = stop.Register(_listener.Stop);
        List<Task> connections = [];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    break;
                }
                connections.RemoveAll(t => t.IsCompleted);
                // Each connection on its own: a browser may open a socket it never uses.
                connections.Add(ServeConnectionAsync(client, stop));
            }
        }
        finally
        {
            await Task.WhenAll(connections).ConfigureAwait(false);
        }
    }

    private async Task ServeConnectionAsync(TcpClient client, CancellationToken stop)
    {
        using (client)
        {
            using CancellationTokenSource deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
            deadline.CancelAfter(ConnectionTimeout);
            try
            {
                NetworkStream stream = client.GetStream();
                LoopbackRequest? request = await LoopbackRequest.ReadAsync(stream, MaxHeaderBytes, MaxBodyBytes, deadline.Token).ConfigureAwait(false);
                LoopbackResponse response = request is null ? LoopbackResponse.Plain(400) : Handle(request);
                await response.WriteAsync(stream, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The browser went away or the ceremony ended: nothing to answer.
            }
        }
        if (Volatile.Read(ref _resultTaken) == 1)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private LoopbackResponse Handle(LoopbackRequest request)
    {
        string? action = MatchState(request.Target);
        if (action is null || !string.Equals(request.Host, _host, StringComparison.Ordinal))
        {
            return LoopbackResponse.Plain(404);
        }
        if (!string.Equals(request.Origin, _serverOrigin, StringComparison.Ordinal))
        {
            return LoopbackResponse.Plain(403);
        }
        LoopbackResponse cors = action switch
        {
            "options" when request.Method == "GET" => ServeOptions(),
            "result" when request.Method == "POST" => TakeResult(request.Body),
            "options" or "result" when request.Method == "OPTIONS" => LoopbackResponse.Plain(204)
                .With("Access-Control-Allow-Methods", "GET, POST")
                .With("Access-Control-Allow-Headers", "Content-Type")
                .With("Access-Control-Max-Age", "60"),
            "options" or "result" => LoopbackResponse.Plain(405),
            _ => LoopbackResponse.Plain(404),
        };
        cors = cors.With("Access-Control-Allow-Origin", _serverOrigin).With("Vary", "Origin");
        // Chrome asks before a public page may reach a private address (Private Network Access); say yes to our origin.
        return request.PrivateNetworkRequested ? cors.With("Access-Control-Allow-Private-Network", "true") : cors;
    }

    /// <summary>The action after <c>/STATE/</c> when the state matches, compared in constant time; otherwise null.</summary>
    private string? MatchState(string target)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(target);
        if (bytes.Length <= _statePath.Length)
        {
            return null;
        }
        bool match = CryptographicOperations.FixedTimeEquals(bytes.AsSpan(0, _statePath.Length), _statePath);
        return match ? target[_statePath.Length..] : null;
    }

    // Once only: the address travels in the browser's arguments, where another local user could read it; a second reader gets
    // nothing, and if it was first, the person's page fails visibly instead of a copy of the options going unnoticed.
    private LoopbackResponse ServeOptions() => Volatile.Read(ref _resultTaken) == 1 || Interlocked.Exchange(ref _optionsServed, 1) == 1
        ? LoopbackResponse.Plain(410)
        : new LoopbackResponse(200, "application/json", _options);

    private LoopbackResponse TakeResult(byte[] body)
    {
        if (Interlocked.Exchange(ref _resultTaken, 1) == 1)
        {
            return LoopbackResponse.Plain(409);
        }
        (TCredential? credential, string? error) = ParseResult(body);
        if (credential is not null)
        {
            _result.TrySetResult(credential);
            return LoopbackResponse.Plain(204);
        }
        if (error is not null)
        {
            _result.TrySetException(new BrowserCeremonyException(BrowserCeremonyFailure.Refused, error));
            return LoopbackResponse.Plain(204);
        }
        _result.TrySetException(new BrowserCeremonyException(BrowserCeremonyFailure.Malformed, null));
        return LoopbackResponse.Plain(400);
    }

    /// <summary>
    /// <c>{"credential": {…}}</c> in the contracts' form (unknown members refused), or <c>{"error": "NameError"}</c>
    /// with a DOMException-like name; anything else is (null, null).
    /// </summary>
    private (TCredential? Credential, string? Error) ParseResult(byte[] body)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }
            List<JsonProperty> members = [.. root.EnumerateObject()];
            if (members.Count != 1)
            {
                return (null, null);
            }
            JsonProperty only = members[0];
            if (only.NameEquals("credential") && only.Value.ValueKind == JsonValueKind.Object)
            {
                return (only.Value.Deserialize(_credentialType), null);
            }
            if (only.NameEquals("error") && only.Value.ValueKind == JsonValueKind.String && IsErrorName(only.Value.GetString()!))
            {
                return (null, only.Value.GetString());
            }
            return (null, null);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static bool IsErrorName(string name) => name.Length is > 0 and <= 64 && name.All(char.IsAsciiLetter);
}
