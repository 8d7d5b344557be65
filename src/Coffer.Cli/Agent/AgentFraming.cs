using System.Buffers.Binary;

namespace Coffer.Cli.Agent;

/// <summary>Frames on the agent socket: a 4-byte big-endian length, then that many bytes (UTF-8 JSON).</summary>
internal static class AgentFraming
{
    /// <summary>Larger than any request or reply of this slice; a later slice's item lists page under it.</summary>
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    public static async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length > MaxFrameBytes)
        {
            throw new InvalidDataException("The message is larger than the agent protocol allows.");
        }
        byte[] header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one frame; null when the peer closed before a frame began.</summary>
    /// <exception cref="InvalidDataException">A length out of range, or the stream ended inside a frame.</exception>
    public static async Task<byte[]?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[4];
        int read = await ReadFullyAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }
        if (read < header.Length)
        {
            throw new InvalidDataException("The agent connection ended inside a frame header.");
        }
        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 0 or > MaxFrameBytes)
        {
            throw new InvalidDataException("A frame on the agent connection has a length out of range.");
        }
        byte[] payload = new byte[length];
        if (await ReadFullyAsync(stream, payload, cancellationToken).ConfigureAwait(false) < length)
        {
            throw new InvalidDataException("The agent connection ended inside a frame.");
        }
        return payload;
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
