using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Coffer.Sdk.Ids;

/// <summary>
/// Coffer's ids (PROTOCOL.md, Conventions): UUID version 7 (RFC 9562 §5.7) in lower-case
/// 8-4-4-4-12 text. 48 bits of Unix milliseconds, the version nibble 7, 12 random bits, the
/// variant bits 10 and 62 random bits — 74 random bits from the platform CSPRNG, so ids made in
/// the same millisecond do not collide in practice. No monotonic counter (RFC 9562 §6.2 makes it
/// optional): nothing in Coffer orders by id within a millisecond.
/// </summary>
public static class UuidV7
{
    /// <summary>Length of the text form.</summary>
    public const int TextLength = 36;

    private const string Hex = "0123456789abcdef";

    /// <summary>Makes a new id stamped with <paramref name="clock"/>'s current time.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The clock is before 1970 or beyond the 48-bit range.</exception>
    public static string New(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return New(clock.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>Makes a new id stamped with <paramref name="unixMilliseconds"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The time is negative or does not fit 48 bits.</exception>
    public static string New(long unixMilliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(unixMilliseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(unixMilliseconds, (1L << 48) - 1);
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[6..]);
        Span<byte> time = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(time, unixMilliseconds);
        time[2..].CopyTo(bytes);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return Format(bytes);
    }

    /// <summary>
    /// True for a UUID in canonical lower-case 8-4-4-4-12 text — the form every Coffer id takes on
    /// the wire and in signatures. The version is not checked (docs/adr/0004 decision 2).
    /// </summary>
    public static bool IsCanonical(string? id)
    {
        if (id is null || id.Length != TextLength)
        {
            return false;
        }
        for (int i = 0; i < id.Length; i++)
        {
            char c = id[i];
            bool ok = i is 8 or 13 or 18 or 23 ? c == '-' : c is (>= '0' and <= '9') or (>= 'a' and <= 'f');
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The Unix-millisecond timestamp of a version-7 id; null for anything else.</summary>
    public static long? TimestampOf(string id)
    {
        if (!IsCanonical(id) || id[14] != '7' || id[19] is not ('8' or '9' or 'a' or 'b'))
        {
            return null;
        }
        string hex = string.Concat(id.AsSpan(0, 8), id.AsSpan(9, 4));
        return long.Parse(hex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Format(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[TextLength];
        int o = 0;
        for (int i = 0; i < 16; i++)
        {
            if (i is 4 or 6 or 8 or 10)
            {
                chars[o++] = '-';
            }
            chars[o++] = Hex[bytes[i] >> 4];
            chars[o++] = Hex[bytes[i] & 0x0F];
        }
        return new string(chars);
    }
}
