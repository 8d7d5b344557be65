namespace Coffer.Sdk.Issuers;

/// <summary>What retiring an administrator's issuers did (<see cref="IssuerAdministration.RetireAsync"/>, docs/adr/0027).</summary>
/// <param name="HolderId">The administrator whose issuers were retired.</param>
/// <param name="RevokedIssuerIds">The holder's issuers the newest revocation list now names (empty when they held none).</param>
/// <param name="RecertifiedMemberIds">The members whose current keys this run certified anew with the caller's issuer.</param>
/// <param name="RecertifiedGroupIds">The groups whose current keys this run certified anew with the caller's issuer.</param>
/// <param name="RevocationListVersion">The version of the newest revocation list after the run.</param>
public sealed record IssuerRetirement(
    string HolderId,
    IReadOnlyList<string> RevokedIssuerIds,
    IReadOnlyList<string> RecertifiedMemberIds,
    IReadOnlyList<string> RecertifiedGroupIds,
    long RevocationListVersion);
