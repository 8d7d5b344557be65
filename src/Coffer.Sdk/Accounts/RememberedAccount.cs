using Coffer.Protocol.Signatures;

namespace Coffer.Sdk.Accounts;

/// <summary>
/// What a device remembers of an account between sign-ins (none of it secret): whom to sign in as,
/// and the facts it learned from outside the server — the organisation fingerprint above all, the
/// trust anchor every later check starts from (PROTOCOL.md §5.1) — and the highest 2SKD iteration
/// count it used, below which it never goes (§2). The Secret Key is stored separately (0600 file or
/// OS key store); the pins record holds everything else the device has verified.
/// </summary>
/// <param name="OrgId">The organisation id.</param>
/// <param name="MemberId">The member id (the SRP identity and 2SKD salt input).</param>
/// <param name="Email">The sign-in handle (may change; never part of a key).</param>
/// <param name="AccountId">The organisation's 6-character account id, as in the Secret Key.</param>
/// <param name="OrganisationFingerprint">The pinned organisation fingerprint.</param>
/// <param name="LastIterations">The highest 2SKD iteration count used for this account on this device.</param>
public sealed record RememberedAccount(
    string OrgId,
    string MemberId,
    string Email,
    string AccountId,
    Fingerprint OrganisationFingerprint,
    int LastIterations);
