using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Coffer.Protocol.Encoding;

/// <summary>
/// Base64url without padding (RFC 4648 §5), the only way bytes travel in Coffer
/// (PROTOCOL.md, Conventions). Decoding is strict: padding, whitespace, the
/// standard alphabet and non-canonical trailing bits are all rejected, so one
/// value has exactly one encoding.
/// </summary>
public static class Base64Url
{
    private static readonly SearchValues<char> Alphabet = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    private static readonly SearchValues<byte> AlphabetUtf8 = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"u8);

    /// <summary>Encodes bytes as base64url without padding.</summary>
    public static string Encode(ReadOnlySpan<byte> data) => System.Buffers.Text.Base64Url.EncodeToString(data);

    /// <summary>Decodes strict base64url without padding.</summary>
    /// <exception cref="FormatException">The text is not canonical unpadded base64url.</exception>
    public static byte[] Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryDecode(text, out byte[]? bytes) ? bytes : throw new FormatException("Not canonical unpadded base64url.");
    }

    /// <summary>Decodes strict base64url without padding; false for anything else.</summary>
    public static bool TryDecode(string? text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        return text is not null && TryDecode(text.AsSpan(), out bytes);
    }

    /// <summary>Decodes strict base64url without padding; false for anything else.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (text.Length % 4 == 1 || text.IndexOfAnyExcept(Alphabet) >= 0 || !IsCanonicalEnd(text.IsEmpty ? 'A' : text[^1], text.Length))
        {
            return false;
        }
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Decodes strict base64url without padding given as UTF-8 (as read from JSON); false for anything else.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (utf8.Length % 4 == 1 || utf8.IndexOfAnyExcept(AlphabetUtf8) >= 0 || !IsCanonicalEnd(utf8.IsEmpty ? (char)'A' : (char)utf8[^1], utf8.Length))
        {
            return false;
        }
        byte[] decoded = new byte[System.Buffers.Text.Base64Url.GetMaxDecodedLength(utf8.Length)];
        if (System.Buffers.Text.Base64Url.DecodeFromUtf8(utf8, decoded, out int consumed, out int written) != OperationStatus.Done || consumed != utf8.Length)
        {
            return false;
        }
        bytes = written == decoded.Length ? decoded : decoded[..written];
        return true;
    }

    // The bits of the last character that carry no byte (4 when 2 characters are left over, 2 when 3 are) must be zero:
    // otherwise two texts would decode to the same bytes.
    private static bool IsCanonicalEnd(char last, int length)
    {
        int value = last switch
        {
            >= 'A' and <= 'Z' => last - 'A',
            >= 'a' and <= 'z' => last - 'a' + 26,
            >= '0' and <= '9' => last - '0' + 52,
            '-' => 62,
            _ => 63,
        };
        return (length % 4) switch
        {
            2 => (value & 0x0F) == 0,
            3 => (value & 0x03) == 0,
            _ => true,
        };
    }
}
