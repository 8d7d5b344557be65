using System.Numerics;

namespace Coffer.Protocol.Srp;

/// <summary>
/// Modular exponentiation with <see cref="BigInteger.ModPow"/>: the independent reference the
/// tests and benchmarks compare libcrypto against. Not constant-time and several times slower,
/// so production code never calls it (PROTOCOL.md §3).
/// </summary>
internal static class ManagedModExp
{
    /// <summary>result = base^exponent mod modulus, big-endian, left-padded to the result's length.</summary>
    internal static void ModPow(ReadOnlySpan<byte> @base, ReadOnlySpan<byte> exponent, ReadOnlySpan<byte> modulus, Span<byte> result)
    {
        BigInteger b = new(@base, isUnsigned: true, isBigEndian: true);
        BigInteger e = new(exponent, isUnsigned: true, isBigEndian: true);
        BigInteger m = new(modulus, isUnsigned: true, isBigEndian: true);
        BigInteger r = BigInteger.ModPow(b, e, m);
        result.Clear();
        int length = r.GetByteCount(isUnsigned: true);
        if (length > result.Length || !r.TryWriteBytes(result[(result.Length - length)..], out _, isUnsigned: true, isBigEndian: true))
        {
            throw new ArgumentException("The result does not fit.", nameof(result));
        }
    }
}
