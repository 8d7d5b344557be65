using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Coffer.Contracts;
using Coffer.Contracts.Errors;

using Coffer.Sdk.Errors;

namespace Coffer.Sdk.Http;

/// <summary>
/// Plain (unauthenticated) calls to one Coffer server: meta, setup, the three sign-in steps.
/// Everything else goes through a <see cref="CofferSession"/>.
/// </summary>
public sealed class CofferConnection : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsClient;

    /// <summary>Connects to <paramref name="serverUrl"/>; a handler may be given (tests, custom TLS pinning).</summary>
    public CofferConnection(Uri serverUrl, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(serverUrl);
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = serverUrl;
        _http.Timeout = TimeSpan.FromSeconds(100);
        _ownsClient = true;
        ServerUrl = serverUrl;
    }

    /// <summary>The server's base address.</summary>
    public Uri ServerUrl { get; }

    internal HttpClient Http => _http;

    internal static CofferJsonContext Json => CofferJsonContext.Default;

    /// <summary>GETs a JSON answer without a session.</summary>
    public async Task<TResponse> GetAsync<TResponse>(string path, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, responseType, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POSTs JSON without a session.</summary>
    public async Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest request, JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken = default)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        using ByteArrayContent content = new(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using HttpResponseMessage response = await _http.PostAsync(new Uri(path, UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, responseType, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    private static async Task<TResponse> ReadAsync<TResponse>(HttpResponseMessage response, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw ToApiException((int)response.StatusCode, bytes, response.Headers.RetryAfter);
        }
        return Deserialize(bytes, responseType);
    }

    internal static T Deserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new CofferProtocolException("The server sent an empty answer where data was expected.");
        }
        catch (JsonException e)
        {
            throw new CofferProtocolException("The server's answer is not the JSON the protocol defines.", e);
        }
    }

    internal static CofferApiException ToApiException(int status, ReadOnlySpan<byte> body, RetryConditionHeaderValue? retryAfter)
    {
        ProblemDto? problem = null;
        if (!body.IsEmpty)
        {
            try
            {
                problem = JsonSerializer.Deserialize(body, Json.ProblemDto);
            }
            catch (JsonException)
            {
                problem = null;
            }
        }
        int? seconds = retryAfter?.Delta is TimeSpan d ? (int)Math.Ceiling(d.TotalSeconds) : null;
        return new CofferApiException(status, problem) { RetryAfterSeconds = seconds, StepUp = StepUpOf(problem, body) };
    }

    private static Mfa.StepUpChallenge? StepUpOf(ProblemDto? problem, ReadOnlySpan<byte> body)
    {
        if (problem?.Type != ErrorTypes.StepUpRequired)
        {
            return null;
        }
        try
        {
            Contracts.Auth.StepUpRequiredProblem? p = JsonSerializer.Deserialize(body, Json.StepUpRequiredProblem);
            return p is null ? null : new Mfa.StepUpChallenge(p.Action, p.WindowMinutes, p.Methods);
        }
        catch (JsonException)
        {
            return null;   // a step-up refusal without its details: reported as it is, not acted on
        }
    }

    internal static string Decimal(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
