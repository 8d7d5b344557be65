namespace Coffer.Protocol.WebAuthn;

/// <summary>The outcome of <see cref="WebAuthnRelyingParty.VerifyRegistration"/>.</summary>
public sealed class WebAuthnRegistrationResult
{
    private WebAuthnRegistrationResult(WebAuthnFailure failure, RegisteredCredential? credential)
    {
        Failure = failure;
        Credential = credential;
    }

    /// <summary>Why the registration was refused, or <see cref="WebAuthnFailure.None"/>.</summary>
    public WebAuthnFailure Failure { get; }

    /// <summary>The credential to store; null when refused.</summary>
    public RegisteredCredential? Credential { get; }

    /// <summary>True when the registration verified.</summary>
    public bool Succeeded => Failure == WebAuthnFailure.None;

    internal static WebAuthnRegistrationResult Refused(WebAuthnFailure failure) => new(failure, null);

    internal static WebAuthnRegistrationResult Verified(RegisteredCredential credential) => new(WebAuthnFailure.None, credential);
}
