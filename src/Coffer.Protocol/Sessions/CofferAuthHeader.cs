using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.Sessions;

/// <summary>
/// The <c>Coffer-Auth</c> request header of PROTOCOL.md §6:
/// <c>v1.&lt;sessionId&gt;.&lt;seq&gt;.&lt;tag&gt;</c>, seq in decimal without leading zeros,
/// tag the 32-byte HMAC in base64url.
/// </summary>
public static class CofferAuthHeader
{
    /// <summary>The header name.</summary>
    public const string Name = "Coffer-Auth";

    /// <summary>Formats the header value.</summary>
    public static string Format(string sessionId, ulong seq, ReadOnlySpan<byte> tag)
    {
        SessionKeys.ValidateSessionId(sessionId);
        if (tag.Length != 32)
        {
            throw new ArgumentException("The tag is 32 bytes.", nameof(tag));
        }
        return string.Create(CultureInfo.InvariantCulture, $"v1.{sessionId}.{seq}.{Base64Url.Encode(tag)}");
    }

    /// <summary>Parses a header value strictly; false for anything malformed.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out string? sessionId, out ulong seq, [NotNullWhen(true)] out byte[]? tag)
    {
        sessionId = null;
        seq = 0;
        tag = null;
        if (value is null || value.Length > 200)
        {
            return false;
        }
        // Four dot-separated parts, read in place: this runs on every request.
        ReadOnlySpan<char> rest = value;
        int dot = rest.IndexOf('.');
        if (dot < 0 || !rest[..dot].SequenceEqual("v1"))
        {
            return false;
        }
        rest = rest[(dot + 1)..];
        dot = rest.IndexOf('.');
        if (dot <= 0)
        {
            return false;
        }
        ReadOnlySpan<char> id = rest[..dot];
        foreach (char c in id)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }
        rest = rest[(dot + 1)..];
        dot = rest.IndexOf('.');
        if (dot < 0)
        {
            return false;
        }
        ReadOnlySpan<char> seqText = rest[..dot];
        ReadOnlySpan<char> tagText = rest[(dot + 1)..];
        if (tagText.Contains('.') || seqText.Length == 0 || seqText.Length > 20 || (seqText.Length > 1 && seqText[0] == '0'))
        {
            return false;
        }
        foreach (char c in seqText)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        if (!ulong.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out seq))
        {
            return false;
        }
        if (!Base64Url.TryDecode(tagText, out byte[]? tagBytes) || tagBytes.Length != 32)
        {
            seq = 0;
            return false;
        }
        sessionId = id.ToString();
        tag = tagBytes;
        return true;
    }
}
