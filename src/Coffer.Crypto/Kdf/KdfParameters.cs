namespace Coffer.Crypto.Kdf;

/// <summary>A member's 2SKD parameters: algorithm, 16-byte salt and iteration count (PROTOCOL.md §2).</summary>
/// <param name="Algorithm">Always <see cref="KdfPolicy.Algorithm"/>.</param>
/// <param name="Salt">16 random bytes, made at sign-up and at every password or Secret Key change.</param>
/// <param name="Iterations">PBKDF2 iterations.</param>
public sealed record KdfParameters(string Algorithm, byte[] Salt, int Iterations)
{
    /// <summary>Salt length in bytes.</summary>
    public const int SaltLength = 16;

    /// <summary>New parameters with a random salt and the given (default: floor) iterations.</summary>
    public static KdfParameters CreateNew(int iterations = KdfPolicy.MinimumIterations) =>
        new(KdfPolicy.Algorithm, System.Security.Cryptography.RandomNumberGenerator.GetBytes(SaltLength), iterations);
}
