namespace Coffer.Protocol.WebAuthn;

/// <summary>The flags byte of authenticator data (WebAuthn L2 §6.1; BE and BS from Level 3); bit 0 is the least significant.</summary>
[Flags]
public enum AuthenticatorFlagBits : byte
{
    /// <summary>No flag set.</summary>
    None = 0,

    /// <summary>Bit 0, UP: the user was present.</summary>
    UserPresent = 0x01,

    /// <summary>Bit 2, UV: the user was verified (PIN, biometrics).</summary>
    UserVerified = 0x04,

    /// <summary>Bit 3, BE: the credential may be backed up (a multi-device credential).</summary>
    BackupEligible = 0x08,

    /// <summary>Bit 4, BS: the credential is backed up now.</summary>
    BackedUp = 0x10,

    /// <summary>Bit 6, AT: attested credential data follows the counter.</summary>
    AttestedCredentialData = 0x40,

    /// <summary>Bit 7, ED: an extensions map ends the data.</summary>
    ExtensionData = 0x80,
}
