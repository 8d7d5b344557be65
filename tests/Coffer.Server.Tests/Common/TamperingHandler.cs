namespace Coffer.Server.Tests.Common;

/// <summary>
/// Sits between the real SDK and the server like a network attacker: it can change one byte of a
/// request's body, its path or its tag, answer in the server's place, and it keeps a copy of every
/// request so a test can replay it.
/// </summary>
internal sealed class TamperingHandler() : DelegatingHandler(new HttpClientHandler())
{
    /// <summary>Changes a request before it goes out; returning null drops it (the client sees a 504).</summary>
    public Func<TamperedRequest, TamperedRequest?>? Tamper { get; set; }

    /// <summary>Answers a request in the server's place (the request never reaches it); returning null lets it through.</summary>
    public Func<TamperedRequest, HttpResponseMessage?>? Forge { get; set; }

    public List<TamperedRequest> Dropped { get; } = [];

    public List<TamperedRequest> Sent { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        byte[] body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        TamperedRequest original = new(request.Method, request.RequestUri!, (request.Headers.TryGetValues("Coffer-Auth", out IEnumerable<string>? auth) ? auth.FirstOrDefault() : null), body);
        TamperedRequest? sent = Tamper is null ? original : Tamper(original);
        if (sent is null)
        {
            Dropped.Add(original);
            return new HttpResponseMessage(System.Net.HttpStatusCode.GatewayTimeout) { RequestMessage = request };
        }
        if (Forge?.Invoke(sent) is { } forged)
        {
            forged.RequestMessage = request;
            return forged;
        }
        Sent.Add(sent);
        return await base.SendAsync(sent.ToMessage(), cancellationToken);
    }

    /// <summary>Sends a recorded request again, byte for byte.</summary>
    public Task<HttpResponseMessage> ReplayAsync(TamperedRequest request) => base.SendAsync(request.ToMessage(), CancellationToken.None);
}

internal sealed record TamperedRequest(HttpMethod Method, Uri Uri, string? Auth, byte[] Body)
{
    public HttpRequestMessage ToMessage()
    {
        HttpRequestMessage m = new(Method, Uri);
        if (Auth is not null)
        {
            m.Headers.TryAddWithoutValidation("Coffer-Auth", Auth);
        }
        if (Body.Length > 0)
        {
            m.Content = new ByteArrayContent(Body);
            m.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }
        return m;
    }

    public TamperedRequest WithBodyByteFlipped(int index)
    {
        byte[] copy = (byte[])Body.Clone();
        copy[index] ^= 0x01;
        return this with { Body = copy };
    }
}
