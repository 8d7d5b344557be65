using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// Builds the to-be-signed byte strings of PROTOCOL.md §5.2:
/// <c>tag || len16(f1) || len16(f2) || …</c>, the tag in ASCII without a length
/// prefix and every field prefixed with its 2-byte big-endian length.
/// </summary>
public sealed class TbsWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    /// <summary>Starts a TBS with its ASCII tag, e.g. <c>coffer/sig/wrap/v1</c>.</summary>
    public TbsWriter(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        WriteRaw(Ascii(tag, nameof(tag)));
    }

    /// <summary>Appends a field of raw bytes (fingerprints, hashes).</summary>
    public TbsWriter Bytes(ReadOnlySpan<byte> field)
    {
        if (field.Length > ushort.MaxValue)
        {
            throw new ArgumentException("A TBS field is at most 65535 bytes.", nameof(field));
        }
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(len, (ushort)field.Length);
        _buffer.Write(len);
        _buffer.Write(field);
        return this;
    }

    /// <summary>Appends an ASCII field (ids, kinds, roles, actions); non-ASCII throws.</summary>
    public TbsWriter Text(string field) => Bytes(Ascii(field, nameof(field)));

    /// <summary>Appends a UTF-8 field; only for values the protocol defines as free text.</summary>
    public TbsWriter Utf8(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        return Bytes(System.Text.Encoding.UTF8.GetBytes(field));
    }

    /// <summary>Appends an integer or time as decimal ASCII without leading zeros.</summary>
    public TbsWriter Number(long value)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "TBS integers are non-negative.");
        }
        return Text(value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The bytes written so far.</summary>
    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();

    private void WriteRaw(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    private static byte[] Ascii(string s, string paramName)
    {
        ArgumentNullException.ThrowIfNull(s, paramName);
        foreach (char c in s)
        {
            if (c > 0x7F)
            {
                throw new ArgumentException("TBS text fields are ASCII.", paramName);
            }
        }
        return System.Text.Encoding.ASCII.GetBytes(s);
    }
}
