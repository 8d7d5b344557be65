using System.Security.Cryptography;

namespace Coffer.Protocol.Signatures;

/// <summary>
/// A SHA-256 digest (FIPS 180-4), 32 bytes: the <c>…Hash</c> fields of PROTOCOL.md §5.2
/// (wrap ciphertext, policy body, audit details, audit chain) carried as a value, so a TBS record
/// cannot hold a hash of the wrong length and two records with equal hashes compare equal.
/// </summary>
public readonly struct Sha256Hash : IEquatable<Sha256Hash>
{
    /// <summary>The length of a SHA-256 digest in bytes.</summary>
    public const int Size = 32;

    private readonly byte[]? _bytes;

    private Sha256Hash(byte[] bytes) => _bytes = bytes;

    /// <summary>True for <c>default(Sha256Hash)</c>, which holds no digest and is never a valid field.</summary>
    public bool IsDefault => _bytes is null;

    /// <summary>Wraps an existing 32-byte digest (copied).</summary>
    /// <exception cref="ArgumentException"><paramref name="digest"/> is not 32 bytes.</exception>
    public static Sha256Hash FromBytes(ReadOnlySpan<byte> digest)
    {
        if (digest.Length != Size)
        {
            throw new ArgumentException("A SHA-256 hash is 32 bytes.", nameof(digest));
        }
        return new Sha256Hash(digest.ToArray());
    }

    /// <summary>Computes SHA-256 of <paramref name="data"/>.</summary>
    public static Sha256Hash Of(ReadOnlySpan<byte> data) => new(SHA256.HashData(data));

    /// <summary>The 32 digest bytes.</summary>
    /// <exception cref="InvalidOperationException">This is <c>default(Sha256Hash)</c>.</exception>
    public ReadOnlySpan<byte> AsSpan() => Bytes;

    /// <summary>A copy of the 32 digest bytes.</summary>
    /// <exception cref="InvalidOperationException">This is <c>default(Sha256Hash)</c>.</exception>
    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>Lower-case hex of the digest (for logs and diagnostics; the wire uses base64url).</summary>
    public override string ToString() => _bytes is null ? "(none)" : Convert.ToHexStringLower(_bytes);

    /// <inheritdoc/>
    public bool Equals(Sha256Hash other) =>
        _bytes is null ? other._bytes is null : other._bytes is not null && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Sha256Hash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _bytes is null ? 0 : BitConverter.ToInt32(_bytes, 0);

    /// <summary>Value equality.</summary>
    public static bool operator ==(Sha256Hash left, Sha256Hash right) => left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Sha256Hash left, Sha256Hash right) => !left.Equals(right);

    private byte[] Bytes => _bytes ?? throw new InvalidOperationException("default(Sha256Hash) holds no digest.");
}
