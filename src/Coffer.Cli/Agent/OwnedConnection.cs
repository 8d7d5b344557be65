using Coffer.Cli.State;
using Coffer.Sdk.Http;

namespace Coffer.Cli.Agent;

/// <summary>A connection to one server with the TLS handler made for it; disposing closes both.</summary>
internal sealed class OwnedConnection : IDisposable
{
    private readonly HttpMessageHandler _handler;

    private OwnedConnection(CofferConnection connection, HttpMessageHandler handler)
    {
        Connection = connection;
        _handler = handler;
    }

    public CofferConnection Connection { get; }

    /// <exception cref="CliException">The address is not an absolute http(s) URL.</exception>
    public static OwnedConnection Open(string serverUrl, ServerTrustSettings? tls) => Open(ParseServer(serverUrl), tls);

    public static OwnedConnection Open(Uri server, ServerTrustSettings? tls)
    {
        HttpMessageHandler handler = ServerTrust.CreateHandler(tls);
        return new OwnedConnection(new CofferConnection(server, handler), handler);
    }

    /// <summary>The server's base address (scheme, host, port and any base path, ending in "/").</summary>
    public static Uri ParseServer(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new CliException(ExitCodes.Usage, "A server address is an http(s) URL such as https://coffer.example.org.");
        }
        string path = uri.AbsolutePath.TrimEnd('/');
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + path + "/");
    }

    public void Dispose()
    {
        Connection.Dispose();
        _handler.Dispose();
    }
}
