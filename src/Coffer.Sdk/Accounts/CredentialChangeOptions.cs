using Coffer.Crypto.Generators;
using Coffer.Crypto.Kdf;

namespace Coffer.Sdk.Accounts;

/// <summary>Settings of a password or Secret Key change (<see cref="AccountCredentials"/>); the defaults are production's.</summary>
public sealed record CredentialChangeOptions
{
    /// <summary>The organisation's minimum password length (POLICY.md; default 14).</summary>
    public int MinimumPasswordLength { get; init; } = PasswordRules.DefaultMinimumLength;

    /// <summary>The KDF policy; null is <see cref="KdfPolicy.Default"/>. Tests lower the floor with <see cref="KdfPolicy.ForTesting"/>.</summary>
    public KdfPolicy? Policy { get; init; }

    /// <summary>
    /// The 2SKD iteration count to use from now on; null keeps the account's current count (raised to the policy's floor).
    /// Iterations never go down (PROTOCOL.md §2): a count below the current one is refused.
    /// </summary>
    public int? Iterations { get; init; }
}
