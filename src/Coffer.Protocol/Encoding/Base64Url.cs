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
        if (text is null || text.Length % 4 == 1)
        {
            return false;
        }
        foreach (char c in text)
        {
            bool ok = c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';
            if (!ok)
            {
                return false;
            }
        }
        byte[] decoded;
        try
        {
            decoded = System.Buffers.Text.Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return false;
        }
        // Reject non-canonical trailing bits: re-encoding must give the same text.
        if (!string.Equals(System.Buffers.Text.Base64Url.EncodeToString(decoded), text, StringComparison.Ordinal))
        {
            return false;
        }
        bytes = decoded;
        return true;
    }
}
