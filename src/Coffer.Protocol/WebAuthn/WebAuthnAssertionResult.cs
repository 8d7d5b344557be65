namespace Coffer.Protocol.WebAuthn;

/// <summary>The outcome of <see cref="WebAuthnRelyingParty.VerifyAssertion"/>.</summary>
public sealed class WebAuthnAssertionResult
{
    private WebAuthnAssertionResult(WebAuthnFailure failure, uint signCount, AuthenticatorFlagBits flags)
    {
        Failure = failure;
        SignCount = signCount;
        Flags = flags;
    }

    /// <summary>Why the assertion was refused, or <see cref="WebAuthnFailure.None"/>.</summary>
    public WebAuthnFailure Failure { get; }

    /// <summary>True when the assertion verified.</summary>
    public bool Succeeded => Failure == WebAuthnFailure.None;

    /// <summary>The new signature counter to store; 0 when refused.</summary>
    public uint SignCount { get; }

    /// <summary>The flags of the assertion's authenticator data; <see cref="AuthenticatorFlagBits.None"/> when refused.</summary>
    public AuthenticatorFlagBits Flags { get; }

    internal static WebAuthnAssertionResult Refused(WebAuthnFailure failure) => new(failure, 0, AuthenticatorFlagBits.None);

    internal static WebAuthnAssertionResult Verified(uint signCount, AuthenticatorFlagBits flags) => new(WebAuthnFailure.None, signCount, flags);
}
