using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// The fingerprint of a public key (PROTOCOL.md §5): SHA-256 (FIPS 180-4) of its DER
/// SubjectPublicKeyInfo as re-exported, 32 bytes. Only canonical SPKIs of an RSA key or an EC P-256
/// key have a fingerprint. Text form: RFC 4648 base32 without padding, 52 characters; display form:
/// the same in 13 groups of 4 separated by single spaces. In a TBS (§5.2) it is the 32 raw bytes.
/// </summary>
public readonly struct Fingerprint : IEquatable<Fingerprint>
{
    /// <summary>The length of a fingerprint in bytes.</summary>
    public const int Size = 32;

    /// <summary>The length of the text form: 256 bits in base32 without padding.</summary>
    public const int TextLength = 52;

    /// <summary>The length of the display form: 13 groups of 4 and 12 spaces.</summary>
    public const int DisplayLength = 64;

    private const int GroupLength = 4;

    private readonly byte[]? _bytes;

    private Fingerprint(byte[] bytes) => _bytes = bytes;

    /// <summary>True for <c>default(Fingerprint)</c>, which holds no fingerprint and is never a valid field.</summary>
    public bool IsDefault => _bytes is null;

    /// <summary>Wraps 32 fingerprint bytes (copied), e.g. from a wire field.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes.</exception>
    public static Fingerprint FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("A fingerprint is 32 bytes.", nameof(bytes));
        }
        return new Fingerprint(bytes.ToArray());
    }

    /// <summary>Computes the fingerprint of a canonical RSA or EC P-256 SPKI.</summary>
    /// <exception cref="ArgumentException">The SPKI is not canonical DER of an RSA or EC P-256 key.</exception>
    public static Fingerprint FromSpki(ReadOnlySpan<byte> spki) =>
        TryFromSpki(spki, out Fingerprint fingerprint, out _)
            ? fingerprint
            : throw new ArgumentException("Not a canonical RSA or EC P-256 SubjectPublicKeyInfo.", nameof(spki));

    /// <summary>Computes the fingerprint of a canonical RSA or EC P-256 SPKI; false for anything else.</summary>
    /// <param name="spki">The DER SubjectPublicKeyInfo.</param>
    /// <param name="fingerprint">The fingerprint, when the SPKI is canonical.</param>
    /// <param name="algorithm">The key's algorithm; the caller checks it is the one the field calls for.</param>
    public static bool TryFromSpki(ReadOnlySpan<byte> spki, out Fingerprint fingerprint, out SpkiAlgorithm algorithm)
    {
        algorithm = Spki.Classify(spki);
        fingerprint = algorithm == SpkiAlgorithm.None ? default : new Fingerprint(SHA256.HashData(spki));
        return algorithm != SpkiAlgorithm.None;
    }

    /// <summary>Parses the text form (52 base32 characters) or the display form (13 groups of 4); either case.</summary>
    /// <exception cref="FormatException">Neither form.</exception>
    public static Fingerprint Parse(string text) =>
        TryParse(text, out Fingerprint fingerprint) ? fingerprint : throw new FormatException("Not a Coffer fingerprint.");

    /// <summary>Parses the text form (52 base32 characters) or the display form (13 groups of 4); either case.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Fingerprint fingerprint)
    {
        fingerprint = default;
        if (text is null)
        {
            return false;
        }
        string compact;
        if (text.Length == DisplayLength)
        {
            for (int i = GroupLength; i < DisplayLength; i += GroupLength + 1)
            {
                if (text[i] != ' ')
                {
                    return false;
                }
            }
            compact = text.Replace(" ", string.Empty, StringComparison.Ordinal);
        }
        else
        {
            compact = text;
        }
        if (compact.Length != TextLength || !Base32.TryDecode(compact, out byte[] bytes))
        {
            return false;
        }
        fingerprint = new Fingerprint(bytes);
        return true;
    }

    /// <summary>The 32 fingerprint bytes.</summary>
    /// <exception cref="InvalidOperationException">This is <c>default(Fingerprint)</c>.</exception>
    public ReadOnlySpan<byte> AsSpan() => Bytes;

    /// <summary>A copy of the 32 fingerprint bytes.</summary>
    /// <exception cref="InvalidOperationException">This is <c>default(Fingerprint)</c>.</exception>
    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>The text form: 52 upper-case base32 characters without padding.</summary>
    public override string ToString() => _bytes is null ? "(none)" : Base32.Encode(_bytes);

    /// <summary>The display form: the text form in 13 groups of 4 separated by single spaces.</summary>
    /// <exception cref="InvalidOperationException">This is <c>default(Fingerprint)</c>.</exception>
    public string ToDisplayString()
    {
        string text = Base32.Encode(Bytes);
        return string.Create(DisplayLength, text, static (chars, source) =>
        {
            int o = 0;
            for (int i = 0; i < source.Length; i++)
            {
                if (i > 0 && i % GroupLength == 0)
                {
                    chars[o++] = ' ';
                }
                chars[o++] = source[i];
            }
        });
    }

    /// <inheritdoc/>
    public bool Equals(Fingerprint other) =>
        _bytes is null ? other._bytes is null : other._bytes is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Fingerprint other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _bytes is null ? 0 : BitConverter.ToInt32(_bytes, 0);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Fingerprint left, Fingerprint right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Fingerprint left, Fingerprint right) => !left.Equals(right);

    private byte[] Bytes => _bytes ?? throw new InvalidOperationException("default(Fingerprint) holds no fingerprint.");
}
