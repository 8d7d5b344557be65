using System.Text;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Sessions;
using Coffer.Sdk.Errors;

namespace Coffer.Sdk.Http;

/// <summary>
/// Reads a sealed Server-Sent Events stream (ADR 0008): each event's data is an envelope under the session key with AAD
/// <c>coffer/session/&lt;sessionId&gt;/&lt;seq&gt;/event/&lt;n&gt;</c>, and event n is opened only as the n-th event of the
/// stream answering request seq. A dropped, repeated, reordered, altered or transplanted event does not open: the
/// reader throws <see cref="CofferProtocolException"/> and refuses to read further. Comments (keep-alives) are skipped.
/// </summary>
public sealed class SealedEventReader : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _lines;
    private readonly SessionKeys _keys;
    private readonly ulong _seq;
    private ulong _n;
    private bool _broken;

    internal SealedEventReader(HttpResponseMessage response, Stream body, SessionKeys keys, ulong seq)
    {
        _response = response;
        _lines = new StreamReader(body, Encoding.UTF8);
        _keys = keys;
        _seq = seq;
    }

    /// <summary>The next event's opened data, or null when the server ended the stream.</summary>
    public async Task<byte[]?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_broken)
        {
            throw new CofferProtocolException("This event stream was refused; open a new one.");
        }
        StringBuilder data = new();
        while (true)
        {
            string? line = await _lines.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }
            if (line.Length == 0)
            {
                if (data.Length == 0)
                {
                    continue;
                }
                return Open(data.ToString());
            }
            if (line.StartsWith(':'))
            {
                continue;
            }
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line.AsSpan(line.StartsWith("data: ", StringComparison.Ordinal) ? 6 : 5));
            }
        }
    }

    private byte[] Open(string data)
    {
        _n++;
        byte[]? opened = Envelope.TryParse(Encoding.UTF8.GetBytes(data), out Envelope? envelope) && envelope is not null
            ? _keys.OpenEvent(_seq, _n, envelope)
            : null;
        if (opened is null)
        {
            _broken = true;
            throw new CofferProtocolException("An event did not open as the next event of this stream; the stream is refused.");
        }
        return opened;
    }

    /// <summary>Closes the stream.</summary>
    public void Dispose()
    {
        _lines.Dispose();
        _response.Dispose();
    }
}
