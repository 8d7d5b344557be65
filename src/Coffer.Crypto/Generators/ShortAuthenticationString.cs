using System.Numerics;
using System.Security.Cryptography;

namespace Coffer.Crypto.Generators;

/// <summary>
/// The short authentication string of PROTOCOL.md §5.1 ("First contact"): six words from the
/// 7 776-word list, about 77.5 bits, derived from
/// <c>h = SHA-256("coffer/sas/v1" || orgFpr || memberId || encFpr || sigFpr)</c>, where each
/// fingerprint is the 32 raw bytes of SHA-256 over a DER SPKI and memberId is ASCII.
/// Mapping (docs/adr/0002-short-authentication-string.md): read h as a 256-bit big-endian unsigned
/// integer; word i (i = 0..5, in display order) is list[h mod 7776], then h = h div 7776.
/// </summary>
/// <remarks>
/// The fields need no length prefixes: the three fingerprints are fixed at 32 bytes, so the
/// total length fixes where memberId ends. The SAS is a comparison aid, not a secret.
/// </remarks>
public static class ShortAuthenticationString
{
    /// <summary>Words in a SAS.</summary>
    public const int WordCount = 6;

    /// <summary>Size of each fingerprint: SHA-256.</summary>
    public const int FingerprintSize = 32;

    /// <summary>The ASCII domain-separation prefix.</summary>
    public const string Context = "coffer/sas/v1";

    /// <summary>The six words for confirming <paramref name="memberId"/>'s keys under an organisation.</summary>
    /// <param name="organisationFingerprint">The organisation root key's fingerprint, 32 raw bytes.</param>
    /// <param name="memberId">The member's id (a lowercase UUIDv7 string), printable ASCII.</param>
    /// <param name="encryptionKeyFingerprint">The member's encryption (RSA) key fingerprint, 32 raw bytes.</param>
    /// <param name="signingKeyFingerprint">The member's signing (ECDSA) key fingerprint, 32 raw bytes.</param>
    /// <exception cref="ArgumentException">A fingerprint is not 32 bytes, or memberId is empty or not printable ASCII.</exception>
    public static IReadOnlyList<string> Compute(
        ReadOnlySpan<byte> organisationFingerprint,
        string memberId,
        ReadOnlySpan<byte> encryptionKeyFingerprint,
        ReadOnlySpan<byte> signingKeyFingerprint)
    {
        RequireFingerprint(organisationFingerprint, nameof(organisationFingerprint));
        RequireFingerprint(encryptionKeyFingerprint, nameof(encryptionKeyFingerprint));
        RequireFingerprint(signingKeyFingerprint, nameof(signingKeyFingerprint));
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        if (!memberId.All(c => c is >= '!' and <= '~'))
        {
            throw new ArgumentException("The member id must be printable ASCII.", nameof(memberId));
        }

        using IncrementalHash sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha256.AppendData(System.Text.Encoding.ASCII.GetBytes(Context));
        sha256.AppendData(organisationFingerprint);
        sha256.AppendData(System.Text.Encoding.ASCII.GetBytes(memberId));
        sha256.AppendData(encryptionKeyFingerprint);
        sha256.AppendData(signingKeyFingerprint);
        Span<byte> hash = stackalloc byte[32];
        sha256.GetHashAndReset(hash);
        return WordsFromHash(hash);
    }

    /// <summary>The words joined by single spaces, as both clients display them.</summary>
    /// <exception cref="ArgumentException">Not six words.</exception>
    public static string Format(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        if (words.Count != WordCount)
        {
            throw new ArgumentException("A SAS has six words.", nameof(words));
        }
        return string.Join(' ', words);
    }

    /// <summary>Word indices from a 32-byte hash: successive base-7776 digits, least significant first.</summary>
    internal static int[] Indices(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException("The SAS hash is 32 bytes.", nameof(hash));
        }
        BigInteger h = new(hash, isUnsigned: true, isBigEndian: true);
        int[] indices = new int[WordCount];
        for (int i = 0; i < WordCount; i++)
        {
            h = BigInteger.DivRem(h, WordList.Size, out BigInteger digit);
            indices[i] = (int)digit;
        }
        return indices;
    }

    internal static IReadOnlyList<string> WordsFromHash(ReadOnlySpan<byte> hash) =>
        [.. Indices(hash).Select(i => WordList.Words[i])];

    private static void RequireFingerprint(ReadOnlySpan<byte> fingerprint, string paramName)
    {
        if (fingerprint.Length != FingerprintSize)
        {
            throw new ArgumentException("A fingerprint is 32 raw bytes (SHA-256).", paramName);
        }
    }
}
