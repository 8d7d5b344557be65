namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// Attested credential data (WebAuthn L2 §6.5.1): the authenticator's 16-byte AAGUID, the credential
/// id (1 to <see cref="MaxCredentialIdLength"/> bytes, length as a 2-byte big-endian prefix) and the
/// credential public key as a <see cref="CoseKey"/>.
/// </summary>
public sealed class AttestedCredentialData
{
    /// <summary>Longest credential id accepted: WebAuthn Level 3 §7.1 has relying parties refuse ids over 1023 bytes.</summary>
    public const int MaxCredentialIdLength = 1023;

    /// <summary>Size of the AAGUID.</summary>
    public const int AaguidSize = 16;

    private readonly byte[] _aaguid;
    private readonly byte[] _credentialId;

    internal AttestedCredentialData(byte[] aaguid, byte[] credentialId, CoseKey credentialPublicKey)
    {
        _aaguid = aaguid;
        _credentialId = credentialId;
        CredentialPublicKey = credentialPublicKey;
    }

    /// <summary>The authenticator model's AAGUID (all zeros under <c>none</c> attestation, as browsers anonymise it).</summary>
    public ReadOnlySpan<byte> Aaguid => _aaguid;

    /// <summary>The credential id.</summary>
    public ReadOnlySpan<byte> CredentialId => _credentialId;

    /// <summary>The credential public key.</summary>
    public CoseKey CredentialPublicKey { get; }
}
