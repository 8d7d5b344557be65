using System.Globalization;
using System.Net;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// The field rules of PROTOCOL.md §5.2 (and docs/adr/0004): every value has exactly one encoding,
/// so a record that passes these checks has one TBS and a verifier never has to guess.
/// </summary>
internal static class TbsFields
{
    private const int MaxTokenLength = 64;
    private const int IdLength = 36;

    /// <summary>An id: a UUID in canonical lower-case text form (8-4-4-4-12 hex digits).</summary>
    internal static string Id(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (!IsId(value))
        {
            throw new ArgumentException("An id is a UUID in lower-case 8-4-4-4-12 form.", paramName);
        }
        return value;
    }

    /// <summary>
    /// The organisation's account id (PROTOCOL.md §1): 6 characters of the Secret Key alphabet
    /// <c>23456789ABCDEFGHJKLMNPQRSTVWXYZ</c>, upper case as it stands in every Secret Key.
    /// </summary>
    internal static string AccountId(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        const string alphabet = "23456789ABCDEFGHJKLMNPQRSTVWXYZ";
        bool ok = value.Length == 6;
        foreach (char c in value)
        {
            ok &= alphabet.Contains(c, StringComparison.Ordinal);
        }
        if (!ok)
        {
            throw new ArgumentException("An account id is 6 characters of the Secret Key alphabet.", paramName);
        }
        return value;
    }

    /// <summary>An optional id: null (an empty field) or an <see cref="Id"/>.</summary>
    internal static string? OptionalId(string? value, string paramName) => value is null ? null : Id(value, paramName);

    internal static bool IsId(string value)
    {
        if (value.Length != IdLength)
        {
            return false;
        }
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            bool ok = i is 8 or 13 or 18 or 23 ? c == '-' : c is (>= '0' and <= '9') or (>= 'a' and <= 'f');
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A kind, role, action or outcome: 1 to 64 characters of <c>a–z 0–9 _ . -</c>, starting with a letter.
    /// </summary>
    internal static string Token(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (!IsToken(value))
        {
            throw new ArgumentException("A kind is 1-64 lower-case ASCII characters [a-z0-9_.-] starting with a letter.", paramName);
        }
        return value;
    }

    /// <summary>An optional token: null (an empty field) or a <see cref="Token"/>.</summary>
    internal static string? OptionalToken(string? value, string paramName) => value is null ? null : Token(value, paramName);

    internal static bool IsToken(string value)
    {
        if (value.Length is 0 or > MaxTokenLength || value[0] is not (>= 'a' and <= 'z'))
        {
            return false;
        }
        foreach (char c in value)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' or '-'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A value from a closed vocabulary (role, base group, object kind, …), compared ordinally.</summary>
    internal static string OneOf(string value, string paramName, params ReadOnlySpan<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        foreach (string candidate in allowed)
        {
            if (string.Equals(candidate, value, StringComparison.Ordinal))
            {
                return candidate;
            }
        }
        throw new ArgumentException("Not one of: " + string.Join(", ", allowed.ToArray()) + ".", paramName);
    }

    /// <summary>An integer or time: non-negative (written as decimal ASCII without leading zeros).</summary>
    internal static long Number(long value, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value, paramName);
        return value;
    }

    /// <summary>A fingerprint field: must hold 32 bytes (not <c>default</c>).</summary>
    internal static Fingerprint Fpr(Fingerprint value, string paramName) =>
        value.IsDefault ? throw new ArgumentException("A fingerprint is required.", paramName) : value;

    /// <summary>A hash field: must hold 32 bytes (not <c>default</c>).</summary>
    internal static Sha256Hash Hash(Sha256Hash value, string paramName) =>
        value.IsDefault ? throw new ArgumentException("A hash is required.", paramName) : value;

    /// <summary>An optional hash: null (an empty field) or 32 bytes.</summary>
    internal static Sha256Hash? OptionalHash(Sha256Hash? value, string paramName) =>
        value is { } hash ? Hash(hash, paramName) : null;

    /// <summary>
    /// An IP address in its canonical text form (<see cref="FormatIp"/>); anything else, a zone id
    /// included, is refused so that one address has one encoding.
    /// </summary>
    internal static string Ip(string value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        bool ok = !value.Contains('%', StringComparison.Ordinal)
            && IPAddress.TryParse(value, out IPAddress? address)
            && !address.IsIPv4MappedToIPv6
            && string.Equals(FormatIp(address), value, StringComparison.Ordinal);
        return ok ? value : throw new ArgumentException("An IP address in canonical text form (RFC 5952 for IPv6).", paramName);
    }

    /// <summary>
    /// The canonical text of an address: an IPv4 (or IPv4-mapped IPv6) address as a dotted quad without
    /// leading zeros; any other IPv6 address as RFC 5952 §4 (lower-case hex groups without leading
    /// zeros, the first longest run of two or more zero groups as <c>::</c>) and never in mixed
    /// dotted notation, which is also what WHATWG URL serialisation gives.
    /// </summary>
    internal static string FormatIp(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        byte[] bytes = address.GetAddressBytes();
        if (bytes.Length == 4)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes[0]}.{bytes[1]}.{bytes[2]}.{bytes[3]}");
        }
        Span<int> groups = stackalloc int[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = (bytes[2 * i] << 8) | bytes[(2 * i) + 1];
        }
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8;)
        {
            int j = i;
            while (j < 8 && groups[j] == 0)
            {
                j++;
            }
            if (j - i > bestLength)
            {
                (bestStart, bestLength) = (i, j - i);
            }
            i = j == i ? i + 1 : j;
        }
        System.Text.StringBuilder text = new(39);
        for (int i = 0; i < 8; i++)
        {
            if (i == bestStart)
            {
                text.Append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.Length > 0 && text[^1] != ':')
            {
                text.Append(':');
            }
            text.Append(groups[i].ToString("x", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>Parses decimal ASCII without sign or leading zeros into a non-negative <see cref="long"/>.</summary>
    internal static bool TryParseNumber(string? text, out long value)
    {
        value = 0;
        if (string.IsNullOrEmpty(text) || text.Length > 19 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c is not (>= '0' and <= '9'))
            {
                return false;
            }
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Parses a number as <see cref="TryParseNumber"/> does, or throws <see cref="FormatException"/>.</summary>
    internal static long ParseNumber(string text) =>
        TryParseNumber(text, out long value) ? value : throw new FormatException("Not a decimal number without leading zeros.");
}
