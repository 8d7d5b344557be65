using System.Net;
using System.Text.Json.Nodes;
using Coffer.Protocol.Encoding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The network attacker of the threat model (PROTOCOL.md, "a network attacker who can break or intercept TLS"): a real HTTP
/// reverse proxy on 127.0.0.1 between the <c>coffer</c> agent and the server. It forwards every request byte for byte (the
/// request target exactly as sent, since the session MAC covers it) and can, when told, flip a bit in the next sealed answer,
/// answer a request with a sealed answer it recorded earlier, rewrite the KDF parameters <c>auth/start</c> hands out (the one
/// answer that travels before a session exists), or drop every connection (the server "cannot be reached"). It never holds a
/// session key: that is the point.
/// </summary>
internal sealed class TamperingProxy : IAsyncDisposable
{
    private const string AuthHeader = "Coffer-Auth";

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly Dictionary<string, (int Status, string? Type, byte[] Body)> _recorded = new(StringComparer.Ordinal);
    private int _flipNext;
    private int _replayNext;
    private int _tamperedCount;

    private TamperingProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
    }

    /// <summary>The proxy's address: give it to <c>coffer signin</c> as the server.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The iteration count to put into every <c>auth/start</c> answer; null forwards it as the server sent it.</summary>
    public int? RewriteIterations { get; set; }

    /// <summary>While true every connection is dropped before an answer: the server cannot be reached.</summary>
    public bool Down { get; set; }

    /// <summary>How many answers the proxy changed since it started (so a test knows its attack was actually delivered).</summary>
    public int TamperedCount => Volatile.Read(ref _tamperedCount);

    /// <summary>Flips one bit inside the ciphertext of the next sealed answer (an answer to a request carrying <c>Coffer-Auth</c>).</summary>
    public void FlipNextSealedAnswer() => Volatile.Write(ref _flipNext, 1);

    /// <summary>
    /// Answers the next sealed request whose method and target it has seen before with the sealed answer recorded then,
    /// instead of the server's (the request still reaches the server).
    /// </summary>
    public void ReplayNextSealedAnswer() => Volatile.Write(ref _replayNext, 1);

    public static async Task<TamperingProxy> StartAsync(Uri server)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        WebApplication app = builder.Build();
        HttpClient upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server };
        TamperingProxy proxy = new(app, upstream);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        proxy.Address = new Uri(address);
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        if (Down)
        {
            context.Abort();
            return;
        }
        string target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        using HttpRequestMessage request = new(new HttpMethod(context.Request.Method), target);
        using MemoryStream requestBody = new();
        await context.Request.Body.CopyToAsync(requestBody);
        if (requestBody.Length > 0 || context.Request.ContentLength is not null)
        {
            request.Content = new ByteArrayContent(requestBody.ToArray());
        }
        foreach ((string name, Microsoft.Extensions.Primitives.StringValues values) in context.Request.Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }
        bool sealedRequest = context.Request.Headers.ContainsKey(AuthHeader);
        using HttpResponseMessage response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            await CopyHeadersAsync(context, response, null);
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            return;
        }
        byte[] body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        int status = (int)response.StatusCode;
        string key = context.Request.Method + " " + target;
        if (sealedRequest)
        {
            if (Interlocked.Exchange(ref _replayNext, 0) == 1)
            {
                if (_recorded.TryGetValue(key, out (int Status, string? Type, byte[] Body) earlier))
                {
                    Interlocked.Increment(ref _tamperedCount);
                    context.Response.StatusCode = earlier.Status;
                    context.Response.ContentType = earlier.Type;
                    await context.Response.Body.WriteAsync(earlier.Body, context.RequestAborted);
                    return;
                }
                Volatile.Write(ref _replayNext, 1);
            }
            lock (_recorded)
            {
                _recorded[key] = (status, response.Content.Headers.ContentType?.ToString(), body);
            }
            if (body.Length > 0 && Interlocked.Exchange(ref _flipNext, 0) == 1)
            {
                body = FlipOneBit(body);
                Interlocked.Increment(ref _tamperedCount);
            }
        }
        else if (RewriteIterations is int iterations && target.StartsWith("/api/v1/auth/start", StringComparison.Ordinal) && status == (int)HttpStatusCode.OK)
        {
            JsonNode start = JsonNode.Parse(body)!;
            start["kdf"]!["iterations"] = iterations;
            body = System.Text.Encoding.UTF8.GetBytes(start.ToJsonString());
            Interlocked.Increment(ref _tamperedCount);
        }
        await CopyHeadersAsync(context, response, body.Length);
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Flips the lowest bit of one byte in the middle of the envelope's ciphertext (the JSON stays well-formed).</summary>
    private static byte[] FlipOneBit(byte[] body)
    {
        JsonNode envelope = JsonNode.Parse(body)!;
        byte[] data = Base64Url.Decode(envelope["data"]!.GetValue<string>());
        data[data.Length / 2] ^= 0x01;
        envelope["data"] = Base64Url.Encode(data);
        return System.Text.Encoding.UTF8.GetBytes(envelope.ToJsonString());
    }

    private static Task CopyHeadersAsync(HttpContext context, HttpResponseMessage response, int? length)
    {
        context.Response.StatusCode = (int)response.StatusCode;
        foreach ((string name, IEnumerable<string> values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            context.Response.Headers[name] = values.ToArray();
        }
        if (length is int n)
        {
            context.Response.ContentLength = n;
        }
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
