using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Coffer.Cli.Agent;

/// <summary>
/// Frames on the agent socket: a 4-byte big-endian length, then that many bytes (UTF-8 JSON). A frame goes out in one write,
/// so the reader wakes once for it. The synchronous pair is the hot path (docs/adr/0018 §3: a blocking socket, no async
/// hops); the asynchronous pair serves the rare mid-request conversation (a second factor), which may wait minutes.
/// </summary>
internal static class AgentFraming
{
    /// <summary>Larger than any request or reply of this slice; a later slice's item lists page under it.</summary>
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    private const int HeaderBytes = 4;

    public static void Write(Stream stream, ReadOnlySpan<byte> payload)
    {
        byte[] frame = Frame(payload);
        try
        {
            stream.Write(frame);
            stream.Flush();
        }
        finally
        {
            // The payload may hold a secret.
            CryptographicOperations.ZeroMemory(frame);
        }
    }

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        byte[] frame = Frame(payload.Span);
        try
        {
            await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(frame);
        }
    }

    /// <summary>Reads one frame; null when the peer closed before a frame began.</summary>
    /// <exception cref="InvalidDataException">A length out of range, or the stream ended inside a frame.</exception>
    public static byte[]? Read(Stream stream)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        int read = 0;
        while (read < HeaderBytes && stream.Read(header[read..]) is int n && n > 0)
        {
            read += n;
        }
        if (read == 0)
        {
            return null;
        }
        byte[] payload = new byte[Length(header, read)];
        int total = 0;
        while (total < payload.Length && stream.Read(payload, total, payload.Length - total) is int n && n > 0)
        {
            total += n;
        }
        return total == payload.Length ? payload : throw Truncated(payload);
    }

    /// <summary>Reads one frame; null when the peer closed before a frame began.</summary>
    /// <exception cref="InvalidDataException">A length out of range, or the stream ended inside a frame.</exception>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[HeaderBytes];
        int read = await ReadFullyAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }
        byte[] payload = new byte[Length(header, read)];
        return await ReadFullyAsync(stream, payload, cancellationToken).ConfigureAwait(false) == payload.Length ? payload : throw Truncated(payload);
    }

    private static byte[] Frame(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxFrameBytes)
        {
            throw new InvalidDataException("The message is larger than the agent protocol allows.");
        }
        byte[] frame = new byte[HeaderBytes + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(HeaderBytes));
        return frame;
    }

    private static int Length(ReadOnlySpan<byte> header, int read)
    {
        if (read < HeaderBytes)
        {
            throw new InvalidDataException("The agent connection ended inside a frame header.");
        }
        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        return length is < 0 or > MaxFrameBytes
            ? throw new InvalidDataException("A frame on the agent connection has a length out of range.")
            : length;
    }

    private static InvalidDataException Truncated(byte[] partial)
    {
        CryptographicOperations.ZeroMemory(partial);
        return new InvalidDataException("The agent connection ended inside a frame.");
    }

    private static async Task<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }
            total += n;
        }
        return total;
    }
}
