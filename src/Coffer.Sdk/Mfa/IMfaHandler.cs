using Coffer.Contracts.Mfa;

namespace Coffer.Sdk.Mfa;

/// <summary>
/// A code to present: its kind (<see cref="MfaKinds.Totp"/> or <see cref="MfaKinds.BackupCode"/>) and the code — or the choice
/// of a security key (<see cref="SecurityKey"/>), whose assertion the SDK then asks of
/// <see cref="IMfaHandler.GetSecurityKeyAssertionAsync"/>.
/// </summary>
/// <param name="Kind">The kind.</param>
/// <param name="Code">The code as typed (empty for a security key).</param>
public sealed record MfaCode(string Kind, string Code)
{
    /// <summary>"I will use my security key": the SDK starts an assertion ceremony and asks the handler for the assertion.</summary>
    public static MfaCode SecurityKey { get; } = new(MfaKinds.SecurityKey, "");
}

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

    /// <summary>
    /// Performs a security-key assertion (docs/adr/0026) after <see cref="GetCodeAsync"/> chose <see cref="MfaCode.SecurityKey"/>:
    /// hand <paramref name="options"/> to the authenticator (in a browser, <c>navigator.credentials.get</c> after decoding the
    /// base64url fields) and return what it answered, base64url-encoded. A browser ceremony — a function from these options to
    /// the credential JSON — plugs in here. The default refuses: a handler that never offers a security key need not implement it.
    /// </summary>
    /// <exception cref="NotSupportedException">This handler cannot use security keys (the default).</exception>
    Task<WebAuthnAssertionCredentialDto> GetSecurityKeyAssertionAsync(WebAuthnRequestOptionsDto options, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This client cannot use a security key; present another factor.");
}
