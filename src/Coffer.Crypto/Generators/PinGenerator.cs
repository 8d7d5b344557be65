using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Coffer.Crypto.Generators;

/// <summary>
/// Numeric PINs: each digit uniform and independent from <see cref="RandomNumberGenerator.GetInt32(int)"/>,
/// so a PIN of n digits carries n · log2 10 ≈ 3.32 n bits. Leading zeros are kept.
/// </summary>
public static class PinGenerator
{
    /// <summary>Shortest PIN.</summary>
    public const int MinLength = 4;

    /// <summary>Longest PIN.</summary>
    public const int MaxLength = 12;

    /// <summary>A new random PIN of <paramref name="length"/> digits (default 6).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Length outside 4–12.</exception>
    public static string Generate(int length = 6)
    {
        Validate(length);
        Span<char> buffer = stackalloc char[MaxLength];
        try
        {
            for (int i = 0; i < length; i++)
            {
                buffer[i] = (char)('0' + RandomNumberGenerator.GetInt32(10));
            }
            return new string(buffer[..length]);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(buffer));
        }
    }

    /// <summary>Entropy in bits of a PIN of <paramref name="length"/> digits.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Length outside 4–12.</exception>
    public static double EntropyBits(int length)
    {
        Validate(length);
        return length * Math.Log2(10);
    }

    private static void Validate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, MinLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxLength);
    }
}
