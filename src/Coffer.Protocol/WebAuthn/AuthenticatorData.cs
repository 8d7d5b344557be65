using System.Buffers.Binary;

namespace Coffer.Protocol.WebAuthn;

/// <summary>
/// Authenticator data (WebAuthn L2 §6.1): rpIdHash (32 bytes, SHA-256 of the RP id), flags (1 byte),
/// signCount (4 bytes, big-endian), then attested credential data when AT is set (§6.5.1) and a CBOR
/// extensions map when ED is set. 37 bytes at the least.
/// </summary>
/// <remarks>
/// Parsing is exact: AT set without attested credential data, ED set without an extensions map (or
/// with something other than a map), BS set without BE (Level 3 §6.1), and any byte left after the
/// last present part are all refused. Reserved flag bits are ignored, as the spec leaves them to
/// future use.
/// </remarks>
public sealed class AuthenticatorData
{
    /// <summary>Size of the rpIdHash.</summary>
    public const int RpIdHashSize = 32;

    /// <summary>Size of rpIdHash, flags and signCount together, the shortest authenticator data.</summary>
    public const int MinSize = RpIdHashSize + 1 + 4;

    private readonly byte[] _raw;

    private AuthenticatorData(byte[] raw, AuthenticatorFlagBits flags, uint signCount, AttestedCredentialData? attested, CborValue? extensions)
    {
        _raw = raw;
        Flags = flags;
        SignCount = signCount;
        AttestedCredential = attested;
        Extensions = extensions;
    }

    /// <summary>The bytes the data was parsed from (what signatures cover).</summary>
    public ReadOnlySpan<byte> Raw => _raw;

    /// <summary>The SHA-256 of the RP id the authenticator scoped the credential to.</summary>
    public ReadOnlySpan<byte> RpIdHash => _raw.AsSpan(0, RpIdHashSize);

    /// <summary>The flags byte.</summary>
    public AuthenticatorFlagBits Flags { get; }

    /// <summary>The signature counter (0 when the authenticator keeps none).</summary>
    public uint SignCount { get; }

    /// <summary>The attested credential data, present exactly when AT is set.</summary>
    public AttestedCredentialData? AttestedCredential { get; }

    /// <summary>The extension outputs map, present exactly when ED is set.</summary>
    public CborValue? Extensions { get; }

    /// <summary>True when UP is set.</summary>
    public bool UserPresent => (Flags & AuthenticatorFlagBits.UserPresent) != 0;

    /// <summary>True when UV is set.</summary>
    public bool UserVerified => (Flags & AuthenticatorFlagBits.UserVerified) != 0;

    /// <summary>Parses authenticator data that fills all of <paramref name="data"/>.</summary>
    /// <exception cref="WebAuthnFormatException">Malformed (see the class remarks).</exception>
    public static AuthenticatorData Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < MinSize)
        {
            throw new WebAuthnFormatException("Authenticator data is shorter than 37 bytes.");
        }
        byte[] raw = data.ToArray();
        AuthenticatorFlagBits flags = (AuthenticatorFlagBits)raw[RpIdHashSize];
        uint signCount = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(RpIdHashSize + 1, 4));
        if ((flags & AuthenticatorFlagBits.BackedUp) != 0 && (flags & AuthenticatorFlagBits.BackupEligible) == 0)
        {
            throw new WebAuthnFormatException("Authenticator data says backed up (BS) but not backup eligible (BE).");
        }
        int position = MinSize;
        AttestedCredentialData? attested = null;
        if ((flags & AuthenticatorFlagBits.AttestedCredentialData) != 0)
        {
            attested = ReadAttested(raw, ref position);
        }
        CborValue? extensions = null;
        if ((flags & AuthenticatorFlagBits.ExtensionData) != 0)
        {
            if (position == raw.Length)
            {
                throw new WebAuthnFormatException("Authenticator data sets ED but has no extensions.");
            }
            extensions = Cbor.DecodeFirst(raw.AsSpan(position), out int used);
            if (extensions.Kind != CborKind.Map)
            {
                throw new WebAuthnFormatException("Authenticator data extensions are not a CBOR map.");
            }
            position += used;
        }
        return position == raw.Length
            ? new AuthenticatorData(raw, flags, signCount, attested, extensions)
            : throw new WebAuthnFormatException("Trailing bytes in authenticator data.");
    }

    private static AttestedCredentialData ReadAttested(byte[] raw, ref int position)
    {
        if (raw.Length - position < AttestedCredentialData.AaguidSize + 2)
        {
            throw new WebAuthnFormatException("Authenticator data sets AT but the attested credential data is truncated.");
        }
        byte[] aaguid = raw.AsSpan(position, AttestedCredentialData.AaguidSize).ToArray();
        position += AttestedCredentialData.AaguidSize;
        int idLength = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(position, 2));
        position += 2;
        if (idLength is 0 or > AttestedCredentialData.MaxCredentialIdLength)
        {
            throw new WebAuthnFormatException("The credential id is empty or longer than 1023 bytes.");
        }
        if (raw.Length - position < idLength)
        {
            throw new WebAuthnFormatException("The credential id is truncated.");
        }
        byte[] credentialId = raw.AsSpan(position, idLength).ToArray();
        position += idLength;
        CborValue keyMap = Cbor.DecodeFirst(raw.AsSpan(position), out int used);
        position += used;
        CoseKey key = keyMap.Kind == CborKind.Map
            ? CoseKey.FromCbor(keyMap)
            : throw new WebAuthnFormatException("The credential public key is not a CBOR map.");
        return new AttestedCredentialData(aaguid, credentialId, key);
    }
}
