using System.Globalization;
using System.Text;

namespace Coffer.Sdk.WebAuthn;

/// <summary>
/// The little of HTTP/1.1 (RFC 9112) the loopback listener needs: a request line, headers, and a body by
/// Content-Length only. Anything unusual (chunked bodies, repeated Host or Origin, oversized parts) is refused.
/// </summary>
internal sealed class LoopbackRequest
{
    private LoopbackRequest(string method, string target, string? host, string? origin, bool privateNetworkRequested, byte[] body)
    {
        Method = method;
        Target = target;
        Host = host;
        Origin = origin;
        PrivateNetworkRequested = privateNetworkRequested;
        Body = body;
    }

    public string Method { get; }

    public string Target { get; }

    public string? Host { get; }

    public string? Origin { get; }

    public bool PrivateNetworkRequested { get; }

    public byte[] Body { get; }

    /// <summary>Reads one request; null when it is not one this listener will answer.</summary>
    public static async Task<LoopbackRequest?> ReadAsync(Stream stream, int maxHeaderBytes, int maxBodyBytes, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[maxHeaderBytes];
        int filled = 0;
        int headerEnd;
        while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == buffer.Length)
            {
                return null;
            }
            int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }
            filled += read;
        }
        string head = Encoding.Latin1.GetString(buffer, 0, headerEnd);
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0") || !requestLine[1].StartsWith('/'))
        {
            return null;
        }
        string? host = null, origin = null;
        bool privateNetwork = false;
        int contentLength = 0;
        bool sawLength = false;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return null;
            }
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            switch (name.ToLowerInvariant())
            {
                case "host" when host is null:
                    host = value;
                    break;
                case "origin" when origin is null:
                    origin = value;
                    break;
                case "host" or "origin" or "transfer-encoding":
                    return null;
                case "content-length" when !sawLength:
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out contentLength) || contentLength > maxBodyBytes)
                    {
                        return null;
                    }
                    sawLength = true;
                    break;
                case "content-length":
                    return null;
                case "access-control-request-private-network":
                    privateNetwork = string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
                    break;
                default:
                    break;
            }
        }
        byte[] body = new byte[contentLength];
        int already = Math.Min(filled - (headerEnd + 4), contentLength);
        buffer.AsSpan(headerEnd + 4, already).CopyTo(body);
        int have = already;
        while (have < contentLength)
        {
            int read = await stream.ReadAsync(body.AsMemory(have), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }
            have += read;
        }
        return new LoopbackRequest(requestLine[0], requestLine[1], host, origin, privateNetwork, body);
    }
}
