using System.Security.Cryptography;

namespace Coffer.Protocol.Srp;

/// <summary>
/// The SRP-6a verifier v = g^x mod N (RFC 5054 §2.4, PROTOCOL.md §3), as exactly
/// <see cref="SrpGroup.PaddedLength"/> big-endian bytes (512 for Coffer). For Coffer, x is the
/// 32-byte <c>coffer/srp-x/v1</c> output of 2SKD (PROTOCOL.md §2), read as an unsigned
/// big-endian integer. The server stores v; it is as sensitive as a password hash.
/// </summary>
public static class SrpVerifier
{
    private static readonly byte[] DecoyInfo = "coffer/srp/decoy-verifier/v1"u8.ToArray();

    /// <summary>Computes v = g^x mod N in constant time.</summary>
    /// <param name="parameters">The SRP parameters; Coffer uses <see cref="SrpParameters.Coffer"/>.</param>
    /// <param name="x">The private value x, big-endian, 1 to <see cref="SrpGroup.PaddedLength"/> bytes.</param>
    /// <returns>v, exactly <see cref="SrpGroup.PaddedLength"/> bytes.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> is empty or longer than N.</exception>
    /// <exception cref="DllNotFoundException">OpenSSL's libcrypto is not installed (docs/adr/0003).</exception>
    public static byte[] Compute(SrpParameters parameters, ReadOnlySpan<byte> x)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckPrivateValue(parameters, x);
        byte[] verifier = new byte[parameters.Group.PaddedLength];
        SrpMath.GeneratorPower(parameters, x, verifier);
        return verifier;
    }

    /// <summary>
    /// A stand-in verifier for an account that does not exist, derived from <paramref name="seed"/> without any
    /// exponentiation (docs/adr/0007): HKDF-Expand-SHA256(seed, "coffer/srp/decoy-verifier/v1", |N| + 32 bytes) read as a
    /// big-endian integer and reduced mod N. The 32 extra bytes make the result uniform in [0, N) to within 2^-256. For the
    /// 4096-bit group g = 5 is a quadratic non-residue, so g generates all of Z_N^* and a real verifier g^x is (computationally)
    /// uniform there too: nobody without the seed can tell the two apart, and nobody ever sees v except through B = k·v + g^b.
    /// </summary>
    /// <param name="parameters">The SRP parameters; Coffer uses <see cref="SrpParameters.Coffer"/>.</param>
    /// <param name="seed">A secret pseudorandom key, at least 32 bytes (an HMAC output).</param>
    /// <returns>The decoy, exactly <see cref="SrpGroup.PaddedLength"/> bytes, with 0 &lt; v &lt; N.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameters"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="seed"/> is shorter than 32 bytes.</exception>
    public static byte[] Decoy(SrpParameters parameters, ReadOnlySpan<byte> seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (seed.Length < 32)
        {
            throw new ArgumentException("The seed must be at least 32 bytes.", nameof(seed));
        }
        int length = parameters.Group.PaddedLength + 32;
        byte[] wide = new byte[length];
        byte[] verifier = new byte[parameters.Group.PaddedLength];
        try
        {
            HKDF.Expand(HashAlgorithmName.SHA256, seed, wide, DecoyInfo);
            using BigNumScope bn = new();
            nint n = bn.Load(parameters.Group.Prime);
            nint w = bn.Load(wide, secret: true);
            nint v = bn.New(secret: true);
            bn.Reduce(v, w, n);
            bn.Store(v, verifier);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wide);
        }
        if (!SrpMath.IsValidPublicValue(parameters.Group, verifier))
        {
            // v = 0 happens with probability 2^-4096; refusing beats answering with a degenerate B = g^b.
            throw new CryptographicException("The decoy seed produced zero.");
        }
        return verifier;
    }

    /// <summary>True if <paramref name="verifier"/> could be a verifier of this group: exactly <see cref="SrpGroup.PaddedLength"/> bytes with 0 &lt; v &lt; N.</summary>
    public static bool IsValid(SrpParameters parameters, ReadOnlySpan<byte> verifier)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return SrpMath.IsValidPublicValue(parameters.Group, verifier);
    }

    internal static void CheckPrivateValue(SrpParameters parameters, ReadOnlySpan<byte> x)
    {
        if (x.IsEmpty || x.Length > parameters.Group.PaddedLength)
        {
            throw new ArgumentException("x must be 1 to " + parameters.Group.PaddedLength + " bytes.", nameof(x));
        }
    }
}
