namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// Why a WebAuthn ceremony was refused. The reasons say which check failed, never any secret: they are
/// for the relying party's log and tests; a client should only learn that the security key was refused.
/// </summary>
public enum WebAuthnFailure
{
    /// <summary>Not refused.</summary>
    None,

    /// <summary>The attestation object, authenticator data, COSE key or clientDataJSON is malformed or unsupported in form.</summary>
    Malformed,

    /// <summary>clientDataJSON <c>type</c> is not the ceremony's (<c>webauthn.create</c> or <c>webauthn.get</c>).</summary>
    TypeMismatch,

    /// <summary>clientDataJSON <c>challenge</c> is not the one the relying party issued.</summary>
    ChallengeMismatch,

    /// <summary>clientDataJSON <c>origin</c> is not exactly the expected origin.</summary>
    OriginMismatch,

    /// <summary>clientDataJSON says the ceremony ran in a cross-origin iframe.</summary>
    CrossOrigin,

    /// <summary>The rpIdHash is not SHA-256 of the relying party id.</summary>
    RpIdMismatch,

    /// <summary>The UP flag is not set.</summary>
    UserNotPresent,

    /// <summary>User verification was required and the UV flag is not set.</summary>
    UserNotVerified,

    /// <summary>A registration's authenticator data has no attested credential data (AT not set).</summary>
    MissingCredentialData,

    /// <summary>An attestation format or statement Coffer does not verify (anything but <c>none</c> and packed self attestation).</summary>
    UnsupportedAttestation,

    /// <summary>The packed attestation's <c>alg</c> is not the credential key's algorithm.</summary>
    AlgorithmMismatch,

    /// <summary>The attestation or assertion signature does not verify.</summary>
    SignatureInvalid,

    /// <summary>The signature counter did not grow although one of the stored and new values is non-zero: the authenticator may have been cloned.</summary>
    CounterRegression,
}
