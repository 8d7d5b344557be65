namespace Coffer.Protocol.Srp;

/// <summary>
/// The SRP-6a verifier v = g^x mod N (RFC 5054 §2.4, PROTOCOL.md §3), as exactly
/// <see cref="SrpGroup.PaddedLength"/> big-endian bytes (512 for Coffer). For Coffer, x is the
/// 32-byte <c>coffer/srp-x/v1</c> output of 2SKD (PROTOCOL.md §2), read as an unsigned
/// big-endian integer. The server stores v; it is as sensitive as a password hash.
/// </summary>
public static class SrpVerifier
{
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
