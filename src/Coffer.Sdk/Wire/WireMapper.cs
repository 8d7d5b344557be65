using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;
using Coffer.Contracts.Groups;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Ids;

namespace Coffer.Sdk.Wire;

/// <summary>
/// The one place where Crypto and Protocol types become Contracts DTOs and back. Writing is
/// plain; reading is strict: every byte field must be canonical unpadded base64url of the right
/// length, every id a lower-case UUID, every key a canonical SPKI, every kind a known one, or the
/// answer is refused with a <see cref="CofferProtocolException"/> that names the field (never its
/// value). Reading checks form only; whether a well-formed value is <em>true</em> is the
/// provenance checks' job (<see cref="Accounts.AccountUnlock"/>).
/// </summary>
internal static class WireMapper
{
    // ---- envelopes and KDF parameters ----

    public static EnvelopeDto ToDto(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return new EnvelopeDto(envelope.Kid, envelope.Enc, Base64Url.Encode(envelope.Iv), Base64Url.Encode(envelope.Data));
    }

    public static Envelope ToEnvelope([NotNull] EnvelopeDto? dto, string what)
    {
        Require(dto, what);
        if (string.IsNullOrEmpty(dto.Kid))
        {
            throw Malformed(what, "its key id is empty");
        }
        if (!string.Equals(dto.Enc, Envelope.A256Gcm, StringComparison.Ordinal))
        {
            throw Malformed(what, "its algorithm is not A256GCM");
        }
        byte[] iv = Decode(dto.Iv, what, "iv");
        if (iv.Length != Envelope.IvLength)
        {
            throw Malformed(what, "its IV is not 12 bytes");
        }
        byte[] data = Decode(dto.Data, what, "data");
        if (data.Length < Envelope.TagLength)
        {
            throw Malformed(what, "its data is shorter than the 16-byte tag");
        }
        return new Envelope(dto.Kid, Envelope.A256Gcm, iv, data);
    }

    public static KdfDto ToDto(KdfParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new KdfDto(parameters.Algorithm, Base64Url.Encode(parameters.Salt), parameters.Iterations);
    }

    public static KdfParameters ToKdfParameters([NotNull] KdfDto? dto)
    {
        const string what = "key-derivation parameters";
        Require(dto, what);
        if (dto.Alg is null)
        {
            throw Malformed(what, "the algorithm is missing");
        }
        byte[] salt = Decode(dto.Salt, what, "salt");
        if (salt.Length != KdfParameters.SaltLength)
        {
            throw Malformed(what, "the salt is not 16 bytes");
        }
        return new KdfParameters(dto.Alg, salt, dto.Iterations);
    }

    // ---- keysets ----

    public static KeysetDto ToDto(SealedKeyset keyset)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        return new KeysetDto(keyset.KeysetId, keyset.Serial, Base64Url.Encode(keyset.EncryptionPublicKey),
            Base64Url.Encode(keyset.SigningPublicKey), ToDto(keyset.SealedSymmetricKey),
            ToDto(keyset.PrivateParts.SealedEncryptionKey), ToDto(keyset.PrivateParts.SealedSigningKey));
    }

    /// <summary>A group keyset: public keys and sealed private keys, no sealed symmetric key (it is wrapped).</summary>
    public static KeysetDto ToGroupKeysetDto(Keyset keyset, SealedKeyPrivateParts privateParts)
    {
        ArgumentNullException.ThrowIfNull(keyset);
        ArgumentNullException.ThrowIfNull(privateParts);
        return new KeysetDto(keyset.KeysetId, keyset.Serial, Base64Url.Encode(keyset.EncryptionPublicKey),
            Base64Url.Encode(keyset.SigningPublicKey), null, ToDto(privateParts.SealedEncryptionKey), ToDto(privateParts.SealedSigningKey));
    }

    public static SealedKeyset ToMemberKeyset([NotNull] KeysetDto? dto, string what)
    {
        Require(dto, what);
        if (dto.SealedSymmetricKey is null)
        {
            throw Malformed(what, "a member keyset has no sealed symmetric key");
        }
        GroupKeysetParts parts = ToKeysetParts(dto, what);
        return new SealedKeyset(parts.KeysetId, parts.Serial, ToEnvelope(dto.SealedSymmetricKey, what + ".sealedSymmetricKey"),
            parts.PrivateParts, parts.EncryptionPublicKey, parts.SigningPublicKey);
    }

    public static GroupKeysetParts ToGroupKeyset([NotNull] KeysetDto? dto, string what)
    {
        Require(dto, what);
        if (dto.SealedSymmetricKey is not null)
        {
            throw Malformed(what, "a group keyset's key is wrapped to members, never sealed beside it");
        }
        return ToKeysetParts(dto, what);
    }

    private static GroupKeysetParts ToKeysetParts(KeysetDto dto, string what)
    {
        string keysetId = Id(dto.KeysetId, what, "keysetId");
        int serial = KeysetSerial(dto.Serial, what, "serial");
        byte[] enc = RsaKey(dto.EncryptionPublicKey, what, "encryptionPublicKey");
        byte[] sig = EcKey(dto.SigningPublicKey, what, "signingPublicKey");
        SealedKeyPrivateParts privateParts = new(
            ToEnvelope(dto.SealedEncryptionPrivateKey, what + ".sealedEncryptionPrivateKey"),
            ToEnvelope(dto.SealedSigningPrivateKey, what + ".sealedSigningPrivateKey"));
        return new GroupKeysetParts(keysetId, serial, enc, sig, privateParts);
    }

    // ---- organisation root, issuers, subjects ----

    public static OrganisationRootDto ToDto(OrganisationRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return new OrganisationRootDto(root.Record.OrgId, root.Record.AccountId, Base64Url.Encode(root.RootPublicKey),
            root.Record.CreatedAt, Base64Url.Encode(root.Signature));
    }

    public static OrganisationRoot ToOrganisationRoot([NotNull] OrganisationRootDto? dto)
    {
        const string what = "organisation root";
        Require(dto, what);
        byte[] key = EcKey(dto.PublicKey, what, "publicKey");
        byte[] signature = Signature(dto.Signature, what);
        Fingerprint fingerprint = Fingerprint.FromSpki(key);
        OrgRootTbs record = Build(what, () => new OrgRootTbs(dto.OrgId, dto.AccountId, fingerprint, dto.CreatedAt));
        return new OrganisationRoot(record, key, signature);
    }

    public static IssuerCertificateDto ToDto(IssuerCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        IssuerTbs r = certificate.Record;
        return new IssuerCertificateDto(r.IssuerId, r.Role, r.HolderId, Base64Url.Encode(certificate.IssuerPublicKey),
            r.IssuedAt, r.ExpiresAt, Base64Url.Encode(certificate.Signature));
    }

    /// <summary>Reads an issuer certificate; the wire form carries no organisation id, so the verified root's is used.</summary>
    public static IssuerCertificate ToIssuerCertificate([NotNull] IssuerCertificateDto? dto, string orgId, string what)
    {
        Require(dto, what);
        byte[] key = EcKey(dto.PublicKey, what, "publicKey");
        byte[] signature = Signature(dto.Signature, what);
        Fingerprint fingerprint = Fingerprint.FromSpki(key);
        IssuerTbs record = Build(what, () => new IssuerTbs(orgId, dto.IssuerId, dto.Role, dto.HolderId, fingerprint, dto.IssuedAt, dto.ExpiresAt));
        return new IssuerCertificate(record, key, signature);
    }

    public static AuditKeyCertificateDto ToDto(AuditKeyCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new AuditKeyCertificateDto(Base64Url.Encode(certificate.AuditPublicKey), certificate.Record.IssuedAt,
            Base64Url.Encode(certificate.Signature));
    }

    /// <summary>Reads a certificate of the audit key; the wire form carries no organisation id, so the verified root's is used.</summary>
    public static AuditKeyCertificate ToAuditKeyCertificate([NotNull] AuditKeyCertificateDto? dto, string orgId, string what)
    {
        Require(dto, what);
        byte[] key = EcKey(dto.PublicKey, what, "publicKey");
        byte[] signature = Signature(dto.Signature, what);
        Fingerprint fingerprint = Fingerprint.FromSpki(key);
        AuditKeyTbs record = Build(what, () => new AuditKeyTbs(orgId, fingerprint, dto.IssuedAt));
        return new AuditKeyCertificate(record, key, signature);
    }

    public static SubjectCertificateDto ToDto(MemberCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        MemberCertTbs r = certificate.Record;
        return new SubjectCertificateDto(r.MemberId, CertKinds.Member, r.BaseGroup, r.KeysetId, r.KeysetSerial,
            Base64Url.Encode(certificate.EncryptionPublicKey), Base64Url.Encode(certificate.SigningPublicKey), r.IssuerId, r.IssuedAt,
            Base64Url.Encode(certificate.Signature));
    }

    public static SubjectCertificateDto ToDto(GroupCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        GroupCertTbs r = certificate.Record;
        return new SubjectCertificateDto(r.GroupId, CertKinds.Group, r.GroupKind, r.KeysetId, r.KeysetSerial,
            Base64Url.Encode(certificate.EncryptionPublicKey), Base64Url.Encode(certificate.SigningPublicKey), r.IssuerId, r.IssuedAt,
            Base64Url.Encode(certificate.Signature));
    }

    /// <summary>
    /// Reads a member certificate. The fingerprints in the signed record are computed from the keys
    /// presented, so a substituted key makes the issuer's signature fail.
    /// </summary>
    public static MemberCertificate ToMemberCertificate([NotNull] SubjectCertificateDto? dto, string orgId, string what)
    {
        Require(dto, what);
        if (!string.Equals(dto.Kind, CertKinds.Member, StringComparison.Ordinal))
        {
            throw Malformed(what, "it is not a member certificate");
        }
        (byte[] enc, byte[] sig, byte[] signature) = SubjectParts(dto, what);
        KeysetSerial(dto.KeysetSerial, what, "keysetSerial");
        MemberCertTbs record = Build(what, () => new MemberCertTbs(orgId, dto.SubjectId, dto.Role, Fingerprint.FromSpki(enc),
            Fingerprint.FromSpki(sig), dto.KeysetId, dto.KeysetSerial, dto.IssuerId, dto.IssuedAt));
        return new MemberCertificate(record, enc, sig, signature);
    }

    /// <summary>Reads a group certificate (see <see cref="ToMemberCertificate"/>).</summary>
    public static GroupCertificate ToGroupCertificate([NotNull] SubjectCertificateDto? dto, string orgId, string what)
    {
        Require(dto, what);
        if (!string.Equals(dto.Kind, CertKinds.Group, StringComparison.Ordinal))
        {
            throw Malformed(what, "it is not a group certificate");
        }
        (byte[] enc, byte[] sig, byte[] signature) = SubjectParts(dto, what);
        KeysetSerial(dto.KeysetSerial, what, "keysetSerial");
        GroupCertTbs record = Build(what, () => new GroupCertTbs(orgId, dto.SubjectId, dto.Role, Fingerprint.FromSpki(enc),
            Fingerprint.FromSpki(sig), dto.KeysetId, dto.KeysetSerial, dto.IssuerId, dto.IssuedAt));
        return new GroupCertificate(record, enc, sig, signature);
    }

    private static (byte[] Enc, byte[] Sig, byte[] Signature) SubjectParts(SubjectCertificateDto dto, string what) =>
        (RsaKey(dto.EncryptionPublicKey, what, "encryptionPublicKey"), EcKey(dto.SigningPublicKey, what, "signingPublicKey"),
            Signature(dto.Signature, what));

    /// <summary>Reads one entry of a group's certificate history (docs/adr/0010); serial 1 carries no succession signature.</summary>
    public static GroupSuccession ToGroupSuccession([NotNull] GroupSuccessionDto? dto, string orgId, string what)
    {
        Require(dto, what);
        GroupCertificate certificate = ToGroupCertificate(dto.Certificate, orgId, what + ".certificate");
        byte[]? signature = dto.SuccessionSignature is null ? null : Signature(dto.SuccessionSignature, what);
        return new GroupSuccession(certificate, signature);
    }

    public static GroupKeysDto ToDto(string groupId, string kind, string name, KeysetDto keyset, GroupCertificate certificate) =>
        new(groupId, kind, name, keyset, ToDto(certificate));

    public static WireGroup ToGroup([NotNull] GroupKeysDto? dto, string orgId, string what)
    {
        Require(dto, what);
        string groupId = Id(dto.GroupId, what, "groupId");
        if (dto.Kind is null || dto.Name is null)
        {
            throw Malformed(what, "its kind or name is missing");
        }
        GroupKeysetParts keyset = ToGroupKeyset(dto.Keyset, what + ".keyset");
        GroupCertificate certificate = ToGroupCertificate(dto.Certificate, orgId, what + ".certificate");
        return new WireGroup(groupId, dto.Kind, dto.Name, keyset, certificate);
    }

    // ---- signed wraps and revocation lists ----

    public static SignedWrapDto ToDto(SignedWrap wrap, string recipientKind, int recipientKeysetSerial)
    {
        ArgumentNullException.ThrowIfNull(wrap);
        WrapTbs r = wrap.Record;
        return new SignedWrapDto(r.ObjectKind, r.ObjectId, r.KeySerial, r.RecipientId, recipientKind, recipientKeysetSerial,
            Base64Url.Encode(wrap.Wrap), r.SignerId, Base64Url.Encode(wrap.Signature));
    }

    /// <summary>
    /// Reads a signed wrap's wire fields. The wire form carries neither the recipient's fingerprint
    /// nor the ciphertext's hash: the recipient supplies the first from its own knowledge and
    /// computes the second (<see cref="WireWrap.ToSignedWrap"/>, docs/adr/0005 rule 6).
    /// </summary>
    public static WireWrap ToWireWrap([NotNull] SignedWrapDto? dto, string what)
    {
        Require(dto, what);
        string[] kinds = [WrapObjectKinds.Vault, WrapObjectKinds.Group, WrapObjectKinds.Item, WrapObjectKinds.Root, WrapObjectKinds.Recovery];
        if (dto.ObjectKind is null || !kinds.Contains(dto.ObjectKind, StringComparer.Ordinal))
        {
            throw Malformed(what, "its object kind is unknown");
        }
        if (dto.RecipientKind is not (CertKinds.Member or CertKinds.Group))
        {
            throw Malformed(what, "its recipient kind is neither member nor group");
        }
        if (dto.KeySerial < 0)
        {
            throw Malformed(what, "its key serial is negative");
        }
        byte[] wrap = Decode(dto.Wrap, what, "wrap");
        if (wrap.Length != KeyWrap.WrappedLength)
        {
            throw Malformed(what, "the wrapped key is not 256 bytes");
        }
        return new WireWrap(dto.ObjectKind, Id(dto.ObjectId, what, "objectId"), dto.KeySerial, Id(dto.RecipientId, what, "recipientId"),
            dto.RecipientKind, KeysetSerial(dto.RecipientKeysetSerial, what, "recipientKeysetSerial"), wrap,
            Id(dto.SignerId, what, "signerId"), Signature(dto.Signature, what));
    }

    public static RevocationListDto ToDto(RevocationList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        RevocationTbs r = list.Record;
        return new RevocationListDto(r.ListVersion, r.IssuedAt, [.. r.Entries.Select(e => e.ToFieldText())], list.IssuerId,
            Base64Url.Encode(list.Signature));
    }

    /// <summary>Reads a revocation list; the wire form carries no organisation id, so the verified root's is used.</summary>
    public static RevocationList ToRevocationList([NotNull] RevocationListDto? dto, string orgId)
    {
        const string what = "revocation list";
        Require(dto, what);
        if (dto.Entries is null)
        {
            throw Malformed(what, "its entries are missing");
        }
        string? issuerId = dto.IssuerId is null ? null : Id(dto.IssuerId, what, "issuerId");
        byte[] signature = Signature(dto.Signature, what);
        RevocationTbs record = Build(what, () => new RevocationTbs(orgId, dto.Version, dto.IssuedAt,
            [.. dto.Entries.Select(RevocationEntry.Parse)]));
        return new RevocationList(record, issuerId, signature);
    }

    // ---- field helpers ----

    internal static CofferProtocolException Malformed(string what, string problem, Exception? inner = null) =>
        new(string.Create(CultureInfo.InvariantCulture, $"The server sent a malformed {what}: {problem}."), inner);

    private static void Require<T>([NotNull] T? value, string what) where T : class
    {
        if (value is null)
        {
            throw new CofferProtocolException($"The server's answer lacks the {what}.");
        }
    }

    private static byte[] Decode(string? text, string what, string field) =>
        Base64Url.TryDecode(text, out byte[]? bytes) ? bytes : throw Malformed(what, field + " is not canonical unpadded base64url");

    private static byte[] Signature(string? text, string what)
    {
        byte[] signature = Decode(text, what, "signature");
        return signature.Length == EcdsaP256.SignatureSize ? signature : throw Malformed(what, "the signature is not 64 bytes");
    }

    private static string Id(string? value, string what, string field) =>
        UuidV7.IsCanonical(value) ? value! : throw Malformed(what, field + " is not a lower-case UUID");

    private static int KeysetSerial(long value, string what, string field) =>
        value is >= 1 and <= int.MaxValue ? (int)value : throw Malformed(what, field + " is not a serial from 1 to 2^31-1");

    private static byte[] RsaKey(string? text, string what, string field)
    {
        byte[] spki = Decode(text, what, field);
        return RsaPublicKey.IsValid(spki) ? spki : throw Malformed(what, field + " is not a canonical RSA-2048 public key with e = 65537");
    }

    private static byte[] EcKey(string? text, string what, string field)
    {
        byte[] spki = Decode(text, what, field);
        if (!EcdsaP256.TryImportPublicKey(spki, out EcdsaP256PublicKey? key))
        {
            throw Malformed(what, field + " is not a canonical P-256 public key");
        }
        key.Dispose();
        return spki;
    }

    private static T Build<T>(string what, Func<T> make)
    {
        try
        {
            return make();
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            // The messages of the record checks name a field and a rule, never a value.
            throw Malformed(what, e.Message.TrimEnd('.'), e);
        }
    }
}

/// <summary>A keyset as the server stores it for a group (or the public part of a member's): keys and sealed private parts.</summary>
/// <param name="KeysetId">Keyset id.</param>
/// <param name="Serial">Keyset serial.</param>
/// <param name="EncryptionPublicKey">RSA SPKI.</param>
/// <param name="SigningPublicKey">ECDSA P-256 SPKI.</param>
/// <param name="PrivateParts">The private keys sealed by the keyset's symmetric key.</param>
internal sealed record GroupKeysetParts(string KeysetId, int Serial, byte[] EncryptionPublicKey, byte[] SigningPublicKey,
    SealedKeyPrivateParts PrivateParts);

/// <summary>A group as served: id, kind and name as the server says, keyset and certificate.</summary>
internal sealed record WireGroup(string GroupId, string Kind, string Name, GroupKeysetParts Keyset, GroupCertificate Certificate);

/// <summary>A signed wrap's wire fields, checked for form only.</summary>
internal sealed record WireWrap(string ObjectKind, string ObjectId, long KeySerial, string RecipientId, string RecipientKind,
    int RecipientKeysetSerial, byte[] Wrap, string SignerId, byte[] Signature)
{
    /// <summary>The signed wrap as the server claims it, for a recipient whose encryption fingerprint the caller knows.</summary>
    public SignedWrap ToSignedWrap(Fingerprint recipientEncryptionFingerprint) =>
        new(new WrapTbs(ObjectKind, ObjectId, KeySerial, RecipientId, recipientEncryptionFingerprint, Sha256Hash.Of(Wrap), SignerId),
            Wrap, Signature);
}
