using Coffer.Contracts.Setup;
using Coffer.Crypto.Accounts;
using Coffer.Sdk.Accounts;

namespace Coffer.Sdk.Setup;

/// <summary>
/// What <see cref="OrganisationSetup.Create"/> made: the request to post, the Emergency Kit to
/// print, the Secret Key to store on this device (0600 file or OS key store — the caller's job;
/// it is zeroed when this result is disposed) and what the device remembers of the account.
/// </summary>
public sealed class OrganisationSetupResult : IDisposable
{
    internal OrganisationSetupResult(SetupRequest request, EmergencyKit emergencyKit, SecretKey secretKey, RememberedAccount account)
    {
        Request = request;
        EmergencyKit = emergencyKit;
        SecretKey = secretKey;
        Account = account;
    }

    /// <summary>The body of <c>POST /api/v1/setup</c>. It holds no secret but the one-time token and the SRP verifier.</summary>
    public SetupRequest Request { get; }

    /// <summary>The first Owner's Emergency Kit.</summary>
    public EmergencyKit EmergencyKit { get; }

    /// <summary>The first Owner's Secret Key.</summary>
    public SecretKey SecretKey { get; }

    /// <summary>What this device remembers of the account.</summary>
    public RememberedAccount Account { get; }

    /// <summary>Zeroes the Secret Key.</summary>
    public void Dispose() => SecretKey.Dispose();
}
