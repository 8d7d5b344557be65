using System.Globalization;
using System.Text;

namespace Coffer.Sdk.WebAuthn;

/// <summary>One HTTP/1.1 answer from the loopback listener; every connection closes after it.</summary>
internal sealed class LoopbackResponse(int status, string? contentType, byte[] body)
{
    private readonly List<(string Name, string Value)> _headers = [];

    public int Status { get; } = status;

    public static LoopbackResponse Plain(int status) => new(status, null, []);

    public LoopbackResponse With(string name, string value)
    {
        _headers.Add((name, value));
        return this;
    }

    public async Task WriteAsync(Stream stream, CancellationToken cancellationToken)
    {
        StringBuilder head = new();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {Status} {Reason(Status)}\r\n");
        if (contentType is not null)
        {
            head.Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n");
        }
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        head.Append("Cache-Control: no-store\r\nConnection: close\r\n");
        foreach ((string name, string value) in _headers)
        {
            head.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        410 => "Gone",
        _ => "Status",
    };
}
