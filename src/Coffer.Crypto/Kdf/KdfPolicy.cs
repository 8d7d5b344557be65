namespace Coffer.Crypto.Kdf;

/// <summary>
/// The client's rules for the KDF parameters a server hands it (PROTOCOL.md §2):
/// the only algorithm is <c>coffer/2skd/v1</c>; iterations never go below 650 000
/// nor below what this device last used for the account. Nothing the server says
/// lowers the floor; only a test harness can, and only in a Debug build.
/// </summary>
public sealed class KdfPolicy
{
    /// <summary>The only accepted algorithm name.</summary>
    public const string Algorithm = "coffer/2skd/v1";

    /// <summary>The iteration floor: 0.45 s of PBKDF2-HMAC-SHA256 on a 2-core machine in .NET.</summary>
    public const int MinimumIterations = 650_000;

    /// <summary>The upper bound a client accepts, so a server cannot make sign-in take hours.</summary>
    public const int MaximumIterations = 100_000_000;

    private KdfPolicy(int floor) => Floor = floor;

    /// <summary>The production policy.</summary>
    public static KdfPolicy Default { get; } = new(MinimumIterations);

    /// <summary>The iteration floor this policy enforces.</summary>
    public int Floor { get; }

    /// <summary>
    /// A policy with a lower floor for tests that sign in many times. Debug builds only:
    /// a Release build throws, so no shipped client can be talked into it.
    /// </summary>
    /// <exception cref="InvalidOperationException">In a Release build.</exception>
    public static KdfPolicy ForTesting(int floor)
    {
#if DEBUG
        ArgumentOutOfRangeException.ThrowIfLessThan(floor, 1);
        return new KdfPolicy(floor);
#else
        _ = floor;
        throw new InvalidOperationException("The KDF floor can be lowered only in Debug builds of the test harness.");
#endif
    }

    /// <summary>
    /// Checks parameters received for a sign-in. <paramref name="lastUsedOnDevice"/> is the
    /// iteration count this device last used for the account (from its pins), or null.
    /// </summary>
    /// <returns>Null if acceptable, otherwise a reason to show (no secret in it).</returns>
    public string? Check(string algorithm, int iterations, int? lastUsedOnDevice)
    {
        if (!string.Equals(algorithm, Algorithm, StringComparison.Ordinal))
        {
            return "The server asked for an unknown key-derivation algorithm.";
        }
        if (iterations < Floor)
        {
            return "The server asked for fewer key-derivation iterations than the minimum; refusing to sign in.";
        }
        if (iterations > MaximumIterations)
        {
            return "The server asked for an unreasonable number of key-derivation iterations.";
        }
        if (lastUsedOnDevice is int last && iterations < last)
        {
            return "The server asked for fewer key-derivation iterations than this device used before; refusing to sign in.";
        }
        return null;
    }
}
