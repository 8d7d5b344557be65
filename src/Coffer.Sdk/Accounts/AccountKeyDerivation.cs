using Coffer.Contracts.Auth;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// 2SKD at sign-in (PROTOCOL.md §2) from the parameters the server sent in <c>auth/start</c>:
/// they are checked first — the only algorithm, at least the floor, never below what this device
/// used before, not absurdly high — and refused with a <see cref="CofferProtocolException"/>
/// before any work. One derivation gives both the SRP secret x and the AUK.
/// </summary>
public static class AccountKeyDerivation
{
    /// <summary>Derives the AUK and SRP x; the caller disposes the result.</summary>
    /// <param name="password">The account password as typed.</param>
    /// <param name="secretKey">The Secret Key.</param>
    /// <param name="memberId">The member id.</param>
    /// <param name="kdf">The KDF parameters from the server.</param>
    /// <param name="policy">The client's KDF policy; null is <see cref="KdfPolicy.Default"/>.</param>
    /// <param name="lastUsedIterations">The iteration count this device last used for the account, if known.</param>
    /// <exception cref="CofferProtocolException">The parameters are malformed or below what this client accepts.</exception>
    /// <exception cref="ArgumentException">The password is empty or holds a lone surrogate.</exception>
    public static DerivedAccountKeys Derive(string password, SecretKey secretKey, string memberId, KdfDto kdf, KdfPolicy? policy = null,
        int? lastUsedIterations = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentException.ThrowIfNullOrEmpty(memberId);
        KdfParameters parameters = WireMapper.ToKdfParameters(kdf);
        KdfPolicy effective = policy ?? KdfPolicy.Default;
        string? refusal = effective.Check(parameters.Algorithm, parameters.Iterations, lastUsedIterations);
        if (refusal is not null)
        {
            throw new CofferProtocolException(refusal);
        }
        return TwoSecretKeyDerivation.Derive(password, secretKey, memberId, parameters, effective, lastUsedIterations);
    }
}
