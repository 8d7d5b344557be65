using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.Otp;

/// <summary>The kind of one-time password an <c>otpauth://</c> URI describes.</summary>
public enum OtpType
{
    /// <summary>Time-based (RFC 6238), <c>otpauth://totp/…</c>.</summary>
    Totp,

    /// <summary>Counter-based (RFC 4226), <c>otpauth://hotp/…</c>.</summary>
    Hotp,
}

/// <summary>
/// The Key Uri Format of authenticator apps (Google Authenticator wiki, "Key Uri Format"):
/// <c>otpauth://TYPE/[ISSUER:]ACCOUNT?secret=BASE32&amp;issuer=…&amp;algorithm=SHA1|SHA256|SHA512&amp;digits=6..8&amp;period=30&amp;counter=N</c>.
/// The label and values are percent-encoded UTF-8; the secret is RFC 4648 base32.
/// </summary>
/// <remarks>
/// <para>
/// Parsing is strict about meaning and lenient only where real apps differ: the secret may carry
/// '=' padding, spaces and lower case; a space may follow the label's colon; '+' in a query value
/// means a space; parameter names are matched case-insensitively; unknown parameters (image, color…)
/// are ignored. When the issuer parameter and the label's issuer prefix both exist, the parameter
/// wins (the format says they should be equal). Everything else malformed — unknown type or
/// algorithm, digits outside 6–8, a period below 1, a missing secret or (for HOTP) counter, a
/// repeated parameter, bad percent-encoding or UTF-8, a second colon in the label — is a
/// <see cref="FormatException"/> whose message never contains the secret or the URI.
/// </para>
/// <para>
/// Secret ownership: the decoded secret lives in a buffer this instance owns and zeroes in
/// <see cref="Dispose"/>. The constructor copies the span it is given (the caller keeps owning
/// that). Strings cannot be zeroed in .NET, so the URI text itself, parsed or formatted, is the
/// caller's to keep short-lived.
/// </para>
/// </remarks>
public sealed class OtpAuthUri : IDisposable
{
    private const string Scheme = "otpauth://";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _secret;
    private bool _disposed;

    /// <summary>Describes an OTP generator; the secret is copied.</summary>
    /// <param name="type">TOTP or HOTP.</param>
    /// <param name="secret">The shared secret, at least one byte.</param>
    /// <param name="accountName">The account, e.g. an email address; non-empty, no colon, no control characters.</param>
    /// <param name="issuer">The service, or null; if given non-empty, no colon, no control characters.</param>
    /// <param name="algorithm">The HMAC hash.</param>
    /// <param name="digits">Code length, 6 to 8.</param>
    /// <param name="period">TOTP period in seconds, at least 1 (ignored for HOTP).</param>
    /// <param name="counter">HOTP counter (ignored for TOTP).</param>
    /// <exception cref="ArgumentException">Any argument out of the ranges above.</exception>
    public OtpAuthUri(
        OtpType type,
        ReadOnlySpan<byte> secret,
        string accountName,
        string? issuer = null,
        OtpAlgorithm algorithm = OtpAlgorithm.Sha1,
        int digits = Hotp.MinDigits,
        int period = Totp.DefaultPeriod,
        ulong counter = 0)
    {
        if (!Enum.IsDefined(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown OTP type.");
        }
        Hotp.ValidateKey(secret);
        Hotp.ValidateDigits(digits);
        Hotp.ValidateAlgorithm(algorithm);
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        ValidateLabelPart(accountName, nameof(accountName));
        if (issuer is not null)
        {
            ValidateLabelPart(issuer, nameof(issuer));
        }
        _secret = secret.ToArray();
        Type = type;
        AccountName = accountName;
        Issuer = issuer;
        Algorithm = algorithm;
        Digits = digits;
        Period = period;
        Counter = counter;
    }

    // Takes ownership of an already decoded secret without copying it.
    private OtpAuthUri(byte[] ownedSecret, OtpType type, string accountName, string? issuer, OtpAlgorithm algorithm, int digits, int period, ulong counter)
    {
        _secret = ownedSecret;
        Type = type;
        AccountName = accountName;
        Issuer = issuer;
        Algorithm = algorithm;
        Digits = digits;
        Period = period;
        Counter = counter;
    }

    /// <summary>TOTP or HOTP.</summary>
    public OtpType Type { get; }

    /// <summary>The account name of the label.</summary>
    public string AccountName { get; }

    /// <summary>The issuer (parameter, else label prefix), or null.</summary>
    public string? Issuer { get; }

    /// <summary>The HMAC hash (default SHA-1).</summary>
    public OtpAlgorithm Algorithm { get; }

    /// <summary>Code length (default 6).</summary>
    public int Digits { get; }

    /// <summary>TOTP period in seconds (default 30).</summary>
    public int Period { get; }

    /// <summary>HOTP counter (0 for TOTP).</summary>
    public ulong Counter { get; }

    /// <summary>The secret, valid until <see cref="Dispose"/>; do not keep the span longer.</summary>
    public ReadOnlySpan<byte> Secret
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _secret;
        }
    }

    /// <summary>Parses an <c>otpauth://totp/…</c> or <c>otpauth://hotp/…</c> URI.</summary>
    /// <exception cref="ArgumentNullException">The URI is null.</exception>
    /// <exception cref="FormatException">The URI is malformed (the message names the problem, never the secret).</exception>
    public static OtpAuthUri Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return ParseCore(uri, out string? error) ?? throw new FormatException(error);
    }

    /// <summary>Parses an <c>otpauth://</c> URI; false (and null) for anything malformed.</summary>
    public static bool TryParse(string? uri, [NotNullWhen(true)] out OtpAuthUri? result)
    {
        result = uri is null ? null : ParseCore(uri, out _);
        return result is not null;
    }

    /// <summary>
    /// The URI, with every parameter written explicitly and the secret as unpadded upper-case base32.
    /// The result contains the secret: treat it as one.
    /// </summary>
    public string Format()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        StringBuilder sb = new(128);
        sb.Append(Scheme).Append(Type == OtpType.Totp ? "totp" : "hotp").Append('/');
        if (Issuer is not null)
        {
            sb.Append(Uri.EscapeDataString(Issuer)).Append(':');
        }
        sb.Append(Uri.EscapeDataString(AccountName));
        sb.Append("?secret=").Append(Base32.Encode(_secret));
        if (Issuer is not null)
        {
            sb.Append("&issuer=").Append(Uri.EscapeDataString(Issuer));
        }
        sb.Append("&algorithm=").Append(AlgorithmName(Algorithm));
        sb.Append("&digits=").Append(Digits.ToString(CultureInfo.InvariantCulture));
        if (Type == OtpType.Totp)
        {
            sb.Append("&period=").Append(Period.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append("&counter=").Append(Counter.ToString(CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>A TOTP generator over a copy of the secret (dispose it too).</summary>
    /// <exception cref="InvalidOperationException">This URI is HOTP.</exception>
    public Totp CreateTotp()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Type == OtpType.Totp
            ? new Totp(_secret, Digits, Algorithm, Period)
            : throw new InvalidOperationException("This otpauth URI describes HOTP, not TOTP.");
    }

    /// <summary>An HOTP generator over a copy of the secret (dispose it too); the counter is <see cref="Counter"/>'s caller to track.</summary>
    /// <exception cref="InvalidOperationException">This URI is TOTP.</exception>
    public Hotp CreateHotp()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Type == OtpType.Hotp
            ? new Hotp(_secret, Digits, Algorithm)
            : throw new InvalidOperationException("This otpauth URI describes TOTP, not HOTP.");
    }

    /// <summary>Zeroes the secret; the instance is unusable afterwards.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_secret);
            _disposed = true;
        }
    }

    private static OtpAuthUri? ParseCore(string uri, out string? error)
    {
        if (!uri.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            error = "Not an otpauth:// URI.";
            return null;
        }
        ReadOnlySpan<char> rest = uri.AsSpan(Scheme.Length);
        int hash = rest.IndexOf('#');
        if (hash >= 0)
        {
            rest = rest[..hash];
        }

        int slash = rest.IndexOf('/');
        if (slash < 0)
        {
            error = "The otpauth URI has no label.";
            return null;
        }
        OtpType type;
        if (rest[..slash].Equals("totp", StringComparison.OrdinalIgnoreCase))
        {
            type = OtpType.Totp;
        }
        else if (rest[..slash].Equals("hotp", StringComparison.OrdinalIgnoreCase))
        {
            type = OtpType.Hotp;
        }
        else
        {
            error = "The otpauth type must be totp or hotp.";
            return null;
        }
        rest = rest[(slash + 1)..];

        int question = rest.IndexOf('?');
        ReadOnlySpan<char> rawLabel = question < 0 ? rest : rest[..question];
        ReadOnlySpan<char> query = question < 0 ? [] : rest[(question + 1)..];

        if (!TryPercentDecode(rawLabel, plusIsSpace: false, out string? label))
        {
            error = "The otpauth label is not valid percent-encoded UTF-8.";
            return null;
        }
        string? labelIssuer = null;
        string account = label;
        int colon = label.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            labelIssuer = label[..colon];
            account = label[(colon + 1)..].TrimStart(' ');
            if (labelIssuer.Length == 0 || account.Contains(':', StringComparison.Ordinal))
            {
                error = "The otpauth label must be 'issuer:account' or 'account'.";
                return null;
            }
        }
        if (account.Length == 0 || HasControl(account) || (labelIssuer is not null && HasControl(labelIssuer)))
        {
            error = "The otpauth label has no account name or contains control characters.";
            return null;
        }

        string? secretText = null, issuer = null, algorithmText = null, digitsText = null, periodText = null, counterText = null;
        HashSet<string> seen = new(StringComparer.OrdinalIgnoreCase);
        foreach (Range range in query.Split('&'))
        {
            ReadOnlySpan<char> pair = query[range];
            if (pair.IsEmpty)
            {
                continue;
            }
            int eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                error = "An otpauth parameter has no name or no '='.";
                return null;
            }
            if (!TryPercentDecode(pair[..eq], plusIsSpace: true, out string? name)
                || !TryPercentDecode(pair[(eq + 1)..], plusIsSpace: true, out string? value))
            {
                error = "An otpauth parameter is not valid percent-encoded UTF-8.";
                return null;
            }
            if (!seen.Add(name))
            {
                error = "An otpauth parameter appears twice.";
                return null;
            }
            switch (name.ToUpperInvariant())
            {
                case "SECRET": secretText = value; break;
                case "ISSUER": issuer = value; break;
                case "ALGORITHM": algorithmText = value; break;
                case "DIGITS": digitsText = value; break;
                case "PERIOD": periodText = value; break;
                case "COUNTER": counterText = value; break;
                default: break; // image, color and other app extensions
            }
        }

        if (issuer is not null && (HasControl(issuer) || issuer.Contains(':', StringComparison.Ordinal)))
        {
            error = "The otpauth issuer contains a colon or control characters.";
            return null;
        }
        if (string.IsNullOrEmpty(issuer))
        {
            issuer = labelIssuer;
        }

        OtpAlgorithm algorithm = OtpAlgorithm.Sha1;
        if (algorithmText is not null)
        {
            switch (algorithmText.ToUpperInvariant())
            {
                case "SHA1": algorithm = OtpAlgorithm.Sha1; break;
                case "SHA256": algorithm = OtpAlgorithm.Sha256; break;
                case "SHA512": algorithm = OtpAlgorithm.Sha512; break;
                default:
                    error = "The otpauth algorithm must be SHA1, SHA256 or SHA512.";
                    return null;
            }
        }

        int digits = Hotp.MinDigits;
        if (digitsText is not null)
        {
            if (!TryParseDecimal(digitsText, out ulong d) || d is < Hotp.MinDigits or > Hotp.MaxDigits)
            {
                error = "The otpauth digits must be 6, 7 or 8.";
                return null;
            }
            digits = (int)d;
        }

        int period = Totp.DefaultPeriod;
        if (type == OtpType.Totp && periodText is not null)
        {
            if (!TryParseDecimal(periodText, out ulong p) || p is 0 or > int.MaxValue)
            {
                error = "The otpauth period must be a whole number of seconds, at least 1.";
                return null;
            }
            period = (int)p;
        }

        ulong counter = 0;
        if (type == OtpType.Hotp && (counterText is null || !TryParseDecimal(counterText, out counter)))
        {
            error = "An hotp otpauth URI needs a counter (a non-negative integer).";
            return null;
        }

        if (secretText is null)
        {
            error = "The otpauth URI has no secret.";
            return null;
        }
        // Real apps emit "JBSW Y3DP …" groups and '=' padding; Base32 itself accepts neither.
        string normalised = secretText.Replace(" ", string.Empty, StringComparison.Ordinal).TrimEnd('=');
        if (normalised.Length == 0 || !Base32.TryDecode(normalised, out byte[] secret))
        {
            error = "The otpauth secret is not valid base32.";
            return null;
        }
        if (secret.Length == 0)
        {
            error = "The otpauth secret is empty.";
            return null;
        }

        error = null;
        return new OtpAuthUri(secret, type, account, issuer, algorithm, digits, period, counter);
    }

    private static bool TryPercentDecode(ReadOnlySpan<char> text, bool plusIsSpace, [NotNullWhen(true)] out string? decoded)
    {
        decoded = null;
        byte[] bytes = new byte[text.Length * 4];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length)
                {
                    return false;
                }
                int hi = HexValue(text[i + 1]), lo = HexValue(text[i + 2]);
                if (hi < 0 || lo < 0)
                {
                    return false;
                }
                bytes[n++] = (byte)((hi << 4) | lo);
                i += 2;
            }
            else if (c == '+' && plusIsSpace)
            {
                bytes[n++] = (byte)' ';
            }
            else if (c < 0x80)
            {
                bytes[n++] = (byte)c;
            }
            else
            {
                // Raw non-ASCII (some QR generators skip escaping): take it as the UTF-8 it stands for.
                if (Rune.DecodeFromUtf16(text[i..], out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
                {
                    return false;
                }
                n += rune.EncodeToUtf8(bytes.AsSpan(n));
                i += used - 1;
            }
        }
        try
        {
            decoded = StrictUtf8.GetString(bytes, 0, n);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes.AsSpan(0, n)); // may have held the secret
        }
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static bool TryParseDecimal(string text, out ulong value)
    {
        value = 0;
        if (text.Length == 0)
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool HasControl(string text)
    {
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }
        return false;
    }

    private static void ValidateLabelPart(string value, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, paramName);
        if (value.Contains(':', StringComparison.Ordinal) || HasControl(value))
        {
            throw new ArgumentException("Issuer and account name may not contain a colon or control characters.", paramName);
        }
    }

    private static string AlgorithmName(OtpAlgorithm algorithm) => algorithm switch
    {
        OtpAlgorithm.Sha1 => "SHA1",
        OtpAlgorithm.Sha256 => "SHA256",
        OtpAlgorithm.Sha512 => "SHA512",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
