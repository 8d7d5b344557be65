using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Coffer.Protocol.Otp;

/// <summary>
/// HOTP (RFC 4226): <c>Truncate(HMAC(K, C))</c> with an 8-byte big-endian counter C (§5.2),
/// dynamic truncation to 31 bits (§5.3) and 6–8 decimal digits. The HMAC is SHA-1, SHA-256 or
/// SHA-512 (RFC 6238 §1.2); the MAC is 20, 32 or 64 bytes.
/// </summary>
/// <remarks>
/// Key ownership: the constructor copies the key into a buffer this instance owns and zeroes it in
/// <see cref="Dispose"/>; the caller still owns, and should zero, the span it passed in. Codes are
/// returned as strings because they are shown and typed; they are short-lived one-time values.
/// </remarks>
public sealed class Hotp : IDisposable
{
    /// <summary>Fewest digits RFC 4226 §5.3 allows.</summary>
    public const int MinDigits = 6;

    /// <summary>Most digits supported: RFC 4226 §5.3 and the Key Uri Format go up to 8.</summary>
    public const int MaxDigits = 8;

    private const int MaxMacSize = 64;

    private readonly byte[] _key;
    private bool _disposed;

    /// <summary>Creates a generator over a copy of <paramref name="key"/>.</summary>
    /// <param name="key">The shared secret K; at least one byte (RFC 4226 §4 asks for 16 or more, but
    /// many services issue 10-byte secrets, and an authenticator must accept them).</param>
    /// <param name="digits">Code length, 6 to 8.</param>
    /// <param name="algorithm">The HMAC hash.</param>
    /// <exception cref="ArgumentException">Empty key, digits outside 6–8, or an unknown algorithm.</exception>
    public Hotp(ReadOnlySpan<byte> key, int digits = MinDigits, OtpAlgorithm algorithm = OtpAlgorithm.Sha1)
    {
        ValidateKey(key);
        ValidateDigits(digits);
        ValidateAlgorithm(algorithm);
        _key = key.ToArray();
        Digits = digits;
        Algorithm = algorithm;
    }

    /// <summary>Number of decimal digits in a code.</summary>
    public int Digits { get; }

    /// <summary>The HMAC hash.</summary>
    public OtpAlgorithm Algorithm { get; }

    /// <summary>The code for <paramref name="counter"/>, zero-padded to <see cref="Digits"/> digits.</summary>
    public string Compute(ulong counter)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return FormatCode(Code(_key, counter, Digits, Algorithm), Digits);
    }

    /// <summary>
    /// Whether <paramref name="code"/> is the code for exactly <paramref name="counter"/>, compared in
    /// constant time. Anything that is not <see cref="Digits"/> ASCII digits is simply wrong (false).
    /// Resynchronisation (a look-ahead window) and counter bookkeeping are the caller's.
    /// </summary>
    public bool Verify(ReadOnlySpan<char> code, ulong counter)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Span<byte> given = stackalloc byte[MaxDigits];
        if (!TryReadDigits(code, Digits, given))
        {
            return false;
        }
        return MatchesAt(_key, counter, Digits, Algorithm, given[..Digits]);
    }

    /// <summary>Zeroes the key copy; the instance is unusable afterwards.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            CryptographicOperations.ZeroMemory(_key);
            _disposed = true;
        }
    }

    /// <summary>RFC 4226 §5.3 step 1 (HS = HMAC(K, C)); writes the MAC and returns its length.</summary>
    internal static int ComputeHmac(ReadOnlySpan<byte> key, ulong counter, OtpAlgorithm algorithm, Span<byte> mac)
    {
        Span<byte> message = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(message, counter);
        return algorithm switch
        {
#pragma warning disable CA5350 // HMAC-SHA-1 is what RFC 4226 and nearly every authenticator use; HMAC-SHA-1 is not broken.
            OtpAlgorithm.Sha1 => HMACSHA1.HashData(key, message, mac),
#pragma warning restore CA5350
            OtpAlgorithm.Sha256 => HMACSHA256.HashData(key, message, mac),
            OtpAlgorithm.Sha512 => HMACSHA512.HashData(key, message, mac),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
    }

    /// <summary>RFC 4226 §5.3 dynamic truncation: 31 bits at the offset named by the last MAC byte's low nibble.</summary>
    internal static uint DynamicTruncate(ReadOnlySpan<byte> mac)
    {
        int offset = mac[^1] & 0x0F;
        return BinaryPrimitives.ReadUInt32BigEndian(mac.Slice(offset, 4)) & 0x7FFF_FFFF;
    }

    /// <summary>The numeric code: truncated value mod 10^digits.</summary>
    internal static uint Code(ReadOnlySpan<byte> key, ulong counter, int digits, OtpAlgorithm algorithm)
    {
        Span<byte> mac = stackalloc byte[MaxMacSize];
        int length = ComputeHmac(key, counter, algorithm, mac);
        uint code = DynamicTruncate(mac[..length]) % Pow10(digits);
        CryptographicOperations.ZeroMemory(mac);
        return code;
    }

    /// <summary>The code as exactly <paramref name="digits"/> ASCII digits, zero-padded.</summary>
    internal static string FormatCode(uint code, int digits) =>
        string.Create(digits, code, static (chars, value) => WriteDigits(value, chars));

    /// <summary>Constant-time comparison of ASCII digits <paramref name="given"/> with the code for <paramref name="counter"/>.</summary>
    internal static bool MatchesAt(ReadOnlySpan<byte> key, ulong counter, int digits, OtpAlgorithm algorithm, ReadOnlySpan<byte> given)
    {
        Span<byte> expected = stackalloc byte[MaxDigits];
        Span<byte> expectedDigits = expected[..digits];
        WriteDigits(Code(key, counter, digits, algorithm), expectedDigits);
        bool equal = CryptographicOperations.FixedTimeEquals(expectedDigits, given);
        CryptographicOperations.ZeroMemory(expected);
        return equal;
    }

    /// <summary>Copies exactly <paramref name="digits"/> ASCII digits into <paramref name="destination"/>; false otherwise.</summary>
    internal static bool TryReadDigits(ReadOnlySpan<char> code, int digits, Span<byte> destination)
    {
        if (code.Length != digits)
        {
            return false;
        }
        for (int i = 0; i < code.Length; i++)
        {
            char c = code[i];
            if (c is < '0' or > '9')
            {
                return false;
            }
            destination[i] = (byte)c;
        }
        return true;
    }

    internal static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty)
        {
            throw new ArgumentException("The OTP key must not be empty.", nameof(key));
        }
    }

    internal static void ValidateDigits(int digits)
    {
        if (digits is < MinDigits or > MaxDigits)
        {
            throw new ArgumentOutOfRangeException(nameof(digits), digits, "OTP codes have 6 to 8 digits.");
        }
    }

    internal static void ValidateAlgorithm(OtpAlgorithm algorithm)
    {
        if (!Enum.IsDefined(algorithm))
        {
            throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown OTP algorithm.");
        }
    }

    private static void WriteDigits<T>(uint code, Span<T> destination)
        where T : IBinaryInteger<T>
    {
        for (int i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = T.CreateTruncating('0' + (code % 10));
            code /= 10;
        }
    }

    private static uint Pow10(int digits) => digits switch
    {
        6 => 1_000_000,
        7 => 10_000_000,
        8 => 100_000_000,
        _ => throw new ArgumentOutOfRangeException(nameof(digits)),
    };
}
