using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Contracts.Devices;
using Coffer.Contracts.Errors;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Sessions;

using Coffer.Sdk.Errors;

namespace Coffer.Sdk.Http;

/// <summary>
/// The client half of the session layer (PROTOCOL.md §6): every request carries
/// <c>Coffer-Auth: v1.&lt;sessionId&gt;.&lt;seq&gt;.&lt;tag&gt;</c> with a fresh sequence number,
/// every body is sealed under the session's encryption key, and every answer is opened
/// and bound to its request's sequence number and status. Safe for concurrent calls:
/// sequence numbers are allocated atomically. Zeroes its keys on dispose.
/// </summary>
public sealed class CofferSession : IDisposable
{
    private readonly CofferConnection _connection;
    private readonly SessionKeys _keys;
    private long _seq;

    internal CofferSession(CofferConnection connection, SessionKeys keys, string memberId, string deviceId)
    {
        _connection = connection;
        _keys = keys;
        MemberId = memberId;
        DeviceId = deviceId;
    }

    /// <summary>The session id.</summary>
    public string SessionId => _keys.SessionId;

    /// <summary>The signed-in member.</summary>
    public string MemberId { get; }

    /// <summary>The device the session was opened on.</summary>
    public string DeviceId { get; }

    /// <summary>
    /// True once the server told this session, sealed and authentic, that its device was deauthorised
    /// (<see cref="CofferDeviceWipedException"/>): the caller must delete the device's local Coffer data.
    /// </summary>
    public bool WipeRequested { get; private set; }

    /// <summary>
    /// When set, a request refused with <c>step-up-required</c> is answered by stepping up through this handler and sent once
    /// more (docs/adr/0024); when null (the default) the refusal is thrown as <see cref="CofferApiException"/> with
    /// <see cref="CofferApiException.StepUp"/> set.
    /// </summary>
    public Mfa.IStepUpHandler? StepUpHandler { get; set; }

    /// <summary>The connection this session runs on.</summary>
    public CofferConnection Connection => _connection;

    /// <summary>Sends a request without a body and reads a JSON answer.</summary>
    public Task<TResponse> SendAsync<TResponse>(HttpMethod method, string path, JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken = default) =>
        SendCoreAsync(method, path, ReadOnlyMemory<byte>.Empty, responseType, cancellationToken);

    /// <summary>Sends a JSON body and reads a JSON answer.</summary>
    public Task<TResponse> SendAsync<TRequest, TResponse>(HttpMethod method, string path, TRequest request, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken = default) =>
        SendCoreAsync(method, path, JsonSerializer.SerializeToUtf8Bytes(request, requestType), responseType, cancellationToken);

    /// <summary>Sends a request whose success answer has no body (204).</summary>
    public async Task SendAsync(HttpMethod method, string path, CancellationToken cancellationToken = default) =>
        _ = await ExchangeAsync(method, path, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);

    private async Task<TResponse> SendCoreAsync<TResponse>(HttpMethod method, string path, ReadOnlyMemory<byte> plaintext,
        JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        byte[] answer = await ExchangeAsync(method, path, plaintext, cancellationToken).ConfigureAwait(false);
        try
        {
            return CofferConnection.Deserialize(answer, responseType);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(answer);
        }
    }

    /// <summary>
    /// One sealed round trip: returns the opened answer of a 2xx response, throws
    /// <see cref="CofferApiException"/> for an opened problem, <see cref="CofferDeviceWipedException"/> for an opened
    /// remote-wipe instruction, <see cref="CofferSessionExpiredException"/> for a plain 401 and
    /// <see cref="CofferProtocolException"/> for anything that does not open.
    /// </summary>
    internal async Task<byte[]> ExchangeAsync(HttpMethod method, string path, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        try
        {
            return await ExchangeOnceAsync(method, path, plaintext, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferApiException e) when (e.StepUp is not null && StepUpHandler is not null)
        {
            // The refusal changed nothing (docs/adr/0024): step up, then send the same request once more, with a new seq.
            await StepUpHandler.StepUpAsync(this, e.StepUp, cancellationToken).ConfigureAwait(false);
            return await ExchangeOnceAsync(method, path, plaintext, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<byte[]> ExchangeOnceAsync(HttpMethod method, string path, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException("Paths are absolute, e.g. /api/v1/sessions.", nameof(path));
        }
        ulong seq = (ulong)Interlocked.Increment(ref _seq);
        byte[] body = plaintext.IsEmpty ? [] : _keys.SealRequest(seq, plaintext.Span).ToJsonBytes();
        Uri uri = new(_connection.ServerUrl, path);
        string target = uri.PathAndQuery;
        using HttpRequestMessage request = new(method, uri);
        request.Headers.TryAddWithoutValidation(CofferAuthHeader.Name, _keys.AuthorizationHeader(method.Method, target, seq, body));
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        using HttpResponseMessage response = await _connection.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        byte[] sealedAnswer = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return OpenAnswer(response, seq, sealedAnswer);
    }

    /// <summary>
    /// Opens a sealed Server-Sent Events stream (ADR 0008): a GET like any other, whose 200 answer is read as it comes,
    /// each event opened under this session with its own number. A refusal is opened (or not) as any other answer.
    /// </summary>
    public async Task<SealedEventReader> OpenEventStreamAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith('/'))
        {
            throw new ArgumentException("Paths are absolute, e.g. /api/v1/events.", nameof(path));
        }
        ulong seq = (ulong)Interlocked.Increment(ref _seq);
        Uri uri = new(_connection.ServerUrl, path);
        using HttpRequestMessage request = new(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation(CofferAuthHeader.Name, _keys.AuthorizationHeader("GET", uri.PathAndQuery, seq, []));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        HttpResponseMessage response = await _connection.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                byte[] sealedAnswer = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
                CryptographicOperations.ZeroMemory(OpenAnswer(response, seq, sealedAnswer));
                throw new CofferProtocolException("The server answered an event stream with something else; it is ignored.");
            }
            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            SealedEventReader reader = new(response, body, _keys, seq);
            response = null!;
            return reader;
        }
        finally
        {
            response?.Dispose();
        }
    }

    private byte[] OpenAnswer(HttpResponseMessage response, ulong seq, byte[] sealedAnswer)
    {
        int status = (int)response.StatusCode;
        if (!Envelope.TryParse(sealedAnswer, out Envelope? envelope) || envelope is null)
        {
            // Only the session check itself answers unsealed; anything else unsealed is not to be believed.
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new CofferSessionExpiredException();
            }
            throw new CofferProtocolException($"The server's answer ({status}) was not sealed for this session; it is ignored.");
        }
        byte[]? opened = _keys.OpenResponse(seq, status, envelope);
        if (opened is null)
        {
            throw new CofferProtocolException($"The server's answer ({status}) did not open under this session's key; it is ignored.");
        }
        if (status is < 200 or > 299)
        {
            try
            {
                if (status == (int)HttpStatusCode.Unauthorized)
                {
                    ThrowIfWipe(opened);
                }
                throw CofferConnection.ToApiException(status, opened, response.Headers.RetryAfter);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(opened);
            }
        }
        return opened;
    }

    /// <summary>
    /// The remote wipe (ADR 0012): reached only with a 401 answer that opened under this session's key for this request,
    /// so the server — and nobody on the way — said it. It must name this session's device; a wipe for another device
    /// is a server fault, reported and not acted on.
    /// </summary>
    private void ThrowIfWipe(byte[] opened)
    {
        DeviceWipedProblem? wipe;
        try
        {
            using JsonDocument document = JsonDocument.Parse(opened);
            if (!document.RootElement.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String
                || type.GetString() != ErrorTypes.DeviceWiped)
            {
                return;
            }
            wipe = document.RootElement.Deserialize(CofferConnection.Json.DeviceWipedProblem);
        }
        catch (JsonException e)
        {
            throw new CofferProtocolException("The server's sealed wipe instruction is not the JSON the protocol defines; it is not acted on.", e);
        }
        if (wipe is null || !string.Equals(wipe.DeviceId, DeviceId, StringComparison.Ordinal))
        {
            throw new CofferProtocolException("The server's sealed wipe instruction names another device; it is not acted on.");
        }
        WipeRequested = true;
        throw new CofferDeviceWipedException(wipe.DeviceId, DateTimeOffset.FromUnixTimeMilliseconds(wipe.RevokedAt));
    }

    /// <summary>Zeroes the session keys.</summary>
    public void Dispose() => _keys.Dispose();
}
