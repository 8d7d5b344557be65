using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Sessions;
using Coffer.Server.Features.Sessions;

namespace Coffer.Server.Tests.Common;

/// <summary>
/// The malicious server of the threat model, between the real SDK and the real server: it knows what the server knows —
/// each session's key, read from the server's own session store — so it can change any answer to a session request and
/// seal it again exactly as the server would. What it cannot do is forge anything sealed by keys only clients hold, which
/// is what the tests using it show.
/// </summary>
internal sealed class LyingServer() : DelegatingHandler(new HttpClientHandler())
{
    /// <summary>The server whose session store it reads (set once the server is up).</summary>
    public IServiceProvider? Server { get; set; }

    /// <summary>Changes the opened JSON answer to a request (path and query); returning null leaves it as the server sent it.</summary>
    public Func<string, JsonNode, JsonNode?>? Rewrite { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        Func<string, JsonNode, JsonNode?>? rewrite = Rewrite;
        if (rewrite is null || Server is null || !request.Headers.TryGetValues(CofferAuthHeader.Name, out IEnumerable<string>? auth)
            || !CofferAuthHeader.TryParse(auth.FirstOrDefault(), out string? sessionId, out ulong seq, out _)
            || response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            return response;
        }
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        int status = (int)response.StatusCode;
        byte[] answer = body;
        SessionRecord? session = await Server.GetRequiredService<ISessionStore>().FindAsync(sessionId, cancellationToken);
        if (session is not null && Envelope.TryParse(body, out Envelope? envelope) && envelope is not null)
        {
            using SessionKeys keys = SessionKeys.Derive(session.SessionKey, sessionId);
            if (keys.OpenResponse(seq, status, envelope) is { Length: > 0 } opened
                && rewrite(request.RequestUri!.PathAndQuery, JsonNode.Parse(opened)!) is JsonNode changed)
            {
                answer = keys.SealResponse(seq, status, System.Text.Encoding.UTF8.GetBytes(changed.ToJsonString())).ToJsonBytes();
            }
        }
        MediaTypeHeaderValue? type = response.Content.Headers.ContentType;
        response.Content = new ByteArrayContent(answer);
        response.Content.Headers.ContentType = type;
        return response;
    }
}
