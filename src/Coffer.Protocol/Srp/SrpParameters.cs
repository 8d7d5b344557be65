using System.Security.Cryptography;

namespace Coffer.Protocol.Srp;

/// <summary>
/// SRP-6a parameters: an RFC 5054 group and the hash H used for k, u, K, M1 and M2
/// (PROTOCOL.md §3). Coffer uses <see cref="Coffer"/> (4096-bit group, SHA-256: 512-byte
/// public values, 32-byte session key and proofs). Other combinations exist for the RFC 5054
/// Appendix B vectors (1024-bit group, SHA-1) and for interoperability tests.
/// </summary>
/// <remarks>
/// The multiplier <c>k = H(N || PAD(g))</c> and <c>H(N) XOR H(g)</c> of M1 depend only on these
/// parameters, so they are computed once here. Instances are immutable and thread-safe.
/// </remarks>
public sealed class SrpParameters
{
    private readonly byte[] _multiplier;
    private readonly byte[] _groupHash;

    /// <summary>Makes parameters from a group and a hash.</summary>
    /// <param name="group">One of the RFC 5054 groups on <see cref="SrpGroup"/>.</param>
    /// <param name="hash">SHA-1 (only for RFC 5054's vectors), SHA-256, SHA-384 or SHA-512.</param>
    /// <exception cref="ArgumentNullException"><paramref name="group"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="hash"/> is not one of the supported hashes.</exception>
    public SrpParameters(SrpGroup group, HashAlgorithmName hash)
    {
        ArgumentNullException.ThrowIfNull(group);
        HashLength = hash.Name switch
        {
            "SHA1" => 20,
            "SHA256" => 32,
            "SHA384" => 48,
            "SHA512" => 64,
            _ => throw new ArgumentException("SRP supports SHA-1, SHA-256, SHA-384 and SHA-512.", nameof(hash)),
        };
        Group = group;
        Hash = hash;

        _multiplier = new byte[HashLength];
        using (IncrementalHash h = CreateHash())
        {
            h.AppendData(group.Prime);
            h.AppendData(group.PaddedGenerator);
            h.GetHashAndReset(_multiplier);
        }

        _groupHash = new byte[HashLength];
        Span<byte> generatorHash = stackalloc byte[HashLength];
        using (IncrementalHash h = CreateHash())
        {
            h.AppendData(group.Prime);
            h.GetHashAndReset(_groupHash);
            h.AppendData(group.GeneratorBytes);
            h.GetHashAndReset(generatorHash);
        }
        for (int i = 0; i < _groupHash.Length; i++)
        {
            _groupHash[i] ^= generatorHash[i];
        }
    }

    /// <summary>Coffer's parameters (PROTOCOL.md §3): the RFC 5054 4096-bit group with g = 5, and SHA-256.</summary>
    public static SrpParameters Coffer { get; } = new(SrpGroup.Group4096, HashAlgorithmName.SHA256);

    /// <summary>The group (N, g).</summary>
    public SrpGroup Group { get; }

    /// <summary>The hash H.</summary>
    public HashAlgorithmName Hash { get; }

    /// <summary>The output length of H in bytes: the length of K, M1 and M2.</summary>
    public int HashLength { get; }

    /// <summary>k = H(N || PAD(g)) as big-endian bytes.</summary>
    internal ReadOnlySpan<byte> Multiplier => _multiplier;

    /// <summary>H(N) XOR H(g), N and g as minimal big-endian bytes (RFC 2945 §3, the first input of M1).</summary>
    internal ReadOnlySpan<byte> GroupHash => _groupHash;

    internal IncrementalHash CreateHash() => IncrementalHash.CreateHash(Hash);
}
