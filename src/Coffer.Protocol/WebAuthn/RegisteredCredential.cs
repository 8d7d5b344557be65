namespace Coffer.Protocol.WebAuthn;

/// <summary>What a relying party keeps from a verified registration (WebAuthn L2 §7.1 step 22).</summary>
public sealed class RegisteredCredential
{
    private readonly byte[] _credentialId;
    private readonly byte[] _aaguid;

    internal RegisteredCredential(AttestedCredentialData attested, uint signCount, AuthenticatorFlagBits flags, string attestationFormat)
    {
        _credentialId = attested.CredentialId.ToArray();
        _aaguid = attested.Aaguid.ToArray();
        PublicKey = attested.CredentialPublicKey;
        SignCount = signCount;
        Flags = flags;
        AttestationFormat = attestationFormat;
    }

    /// <summary>The credential id (1–1023 bytes).</summary>
    public ReadOnlySpan<byte> CredentialId => _credentialId;

    /// <summary>The authenticator's AAGUID (zeros when the browser anonymised it).</summary>
    public ReadOnlySpan<byte> Aaguid => _aaguid;

    /// <summary>The credential public key; store <see cref="CoseKey.ToArray"/>.</summary>
    public CoseKey PublicKey { get; }

    /// <summary>The initial signature counter to store.</summary>
    public uint SignCount { get; }

    /// <summary>The flags of the registration's authenticator data (UV, BE, BS are worth recording).</summary>
    public AuthenticatorFlagBits Flags { get; }

    /// <summary>The attestation statement format: <c>none</c> or <c>packed</c> (self attestation).</summary>
    public string AttestationFormat { get; }
}
