using Coffer.Contracts.Mfa;

namespace Coffer.Sdk.Mfa;

/// <summary>A code to present: its kind (<see cref="MfaKinds.Totp"/> or <see cref="MfaKinds.BackupCode"/>) and the code.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Code">The code as typed.</param>
public sealed record MfaCode(string Kind, string Code);

/// <summary>
/// What a sign-in asks of its caller when the organisation requires a second factor (docs/adr/0022): a person at a
/// prompt, or <see cref="TotpAuthenticator"/> for programs and tests.
/// </summary>
public interface IMfaHandler
{
    /// <summary>A code for one of <paramref name="methods"/> (the kinds the member may present, in the organisation's order).</summary>
    Task<MfaCode> GetCodeAsync(IReadOnlyList<string> methods, CancellationToken cancellationToken);

    /// <summary>
    /// The member has no factor yet: show <paramref name="enrolment"/>'s URI (an authenticator app takes it as text or a QR
    /// code) and return the first code the app shows.
    /// </summary>
    Task<string> EnrolAsync(TotpEnrolment enrolment, CancellationToken cancellationToken);
}
