using Coffer.Contracts.Auth;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Setup;
using Coffer.Protocol.Signatures;
using Coffer.Protocol.Srp;
using Coffer.Server.Common.Validation;

namespace Coffer.Server.Features.Setup;

/// <summary>
/// Checks a setup request before anything is written: every value well-formed, and every
/// signature the server can check (org root, revocation list, issuer, member and group
/// certificates, signed wraps) valid and consistent. Clients never rely on these checks —
/// they verify everything themselves — but a server that stores garbage helps nobody.
/// </summary>
internal static class SetupValidator
{
    public static readonly string[] BuiltInGroups =
        [GroupKinds.Owners, GroupKinds.Administrators, GroupKinds.TeamMembers, GroupKinds.Guests, GroupKinds.Recovery];

    public static (SetupRequest Request, RequestValidation Validation) Validate(SetupRequest request, int minimumIterations)
    {
        RequestValidation v = new();
        SetupOrganisationDto org = request.Organisation;
        SetupOwnerDto owner = request.Owner;

        v.Bytes("token", request.Token, exactLength: 32);
        v.Text("organisation.name", org.Name, 200);
        string orgId = v.Id("organisation.root.orgId", org.Root.OrgId);
        string memberId = v.Id("owner.memberId", owner.MemberId);
        v.Email("owner.email", owner.Email);
        v.Text("owner.name", owner.Name, 200);

        // The root and its self-signature.
        EcdsaP256PublicKey? root = SigningKey(v, "organisation.root.publicKey", org.Root.PublicKey);
        byte[] rootSig = v.Bytes("organisation.root.signature", org.Root.Signature, exactLength: EcdsaP256.SignatureSize);
        if (root is not null && v.IsValid)
        {
            v.Check(TryRecord(() => new OrgRootTbs(orgId, org.Root.AccountId, root.Fingerprint, org.Root.CreatedAt), out OrgRootTbs? record)
                && record!.Verify(root, rootSig), "organisation.root", "the org-root record is malformed or its signature does not verify");
            RevocationListDto crl = org.RevocationList;
            byte[] crlSig = v.Bytes("organisation.revocationList.signature", crl.Signature, exactLength: EcdsaP256.SignatureSize);
            v.Check(crl.Version == 1 && crl.Entries.Count == 0 && crl.IssuerId is null
                && TryRecord(() => new RevocationTbs(orgId, crl.Version, crl.IssuedAt, []), out RevocationTbs? crlRecord)
                && crlRecord!.Verify(root, crlSig), "organisation.revocationList", "must be version 1, empty, signed by the root");
        }

        // The server's audit key, if the Owner's client certified it here (docs/adr/0016): a canonical P-256 key, signed by
        // the new root. That it is this server's current key is the endpoint's check: the validator knows no key file.
        if (org.AuditKeyCertificate is { } audit)
        {
            Fingerprint auditFpr = KeyFingerprint(v, "organisation.auditKeyCertificate.publicKey", audit.PublicKey, SpkiAlgorithm.EcP256);
            byte[] auditSig = v.Bytes("organisation.auditKeyCertificate.signature", audit.Signature, exactLength: EcdsaP256.SignatureSize);
            v.Check(audit.IssuedAt >= 0, "organisation.auditKeyCertificate.issuedAt", "must not be negative");
            if (root is not null && v.IsValid)
            {
                v.Check(TryRecord(() => new AuditKeyTbs(orgId, auditFpr, audit.IssuedAt), out AuditKeyTbs? ar) && ar!.Verify(root, auditSig),
                    "organisation.auditKeyCertificate", "must be signed by the root");
            }
        }

        // KDF and verifier.
        Credentials(v, "owner.", owner.Kdf, owner.Verifier, minimumIterations);

        // The Owner's keyset: symmetric key under the AUK, private parts under the keyset key.
        KeysetDto ks = owner.Keyset;
        string keysetKid = KeysetKid(v, "owner.keyset", ks);
        v.Envelope("owner.keyset.sealedSymmetricKey", ks.SealedSymmetricKey, "auk");
        v.Envelope("owner.keyset.sealedEncryptionPrivateKey", ks.SealedEncryptionPrivateKey, keysetKid);
        v.Envelope("owner.keyset.sealedSigningPrivateKey", ks.SealedSigningPrivateKey, keysetKid);
        v.Envelope("owner.sealedIssuerKey", owner.SealedIssuerKey, keysetKid);
        Fingerprint ownerEnc = KeyFingerprint(v, "owner.keyset.encryptionPublicKey", ks.EncryptionPublicKey, SpkiAlgorithm.Rsa);
        Fingerprint ownerSig = KeyFingerprint(v, "owner.keyset.signingPublicKey", ks.SigningPublicKey, SpkiAlgorithm.EcP256);

        // The Owner's issuer, certified by the root for at most 90 days.
        IssuerCertificateDto issuer = owner.Issuer;
        EcdsaP256PublicKey? issuerKey = SigningKey(v, "owner.issuer.publicKey", issuer.PublicKey);
        byte[] issuerSig = v.Bytes("owner.issuer.signature", issuer.Signature, exactLength: EcdsaP256.SignatureSize);
        if (root is not null && issuerKey is not null && v.IsValid)
        {
            v.Check(issuer.HolderId == memberId && issuer.Role == IssuerRoles.Admin
                && issuer.ExpiresAt > issuer.IssuedAt && issuer.ExpiresAt - issuer.IssuedAt <= (long)TimeSpan.FromDays(90).TotalMilliseconds
                && TryRecord(() => new IssuerTbs(orgId, issuer.IssuerId, issuer.Role, issuer.HolderId, issuerKey.Fingerprint, issuer.IssuedAt, issuer.ExpiresAt), out IssuerTbs? ir)
                && ir!.Verify(root, issuerSig), "owner.issuer", "must be an admin issuer held by the Owner, at most 90 days, signed by the root");
        }

        // The Owner's member certificate, signed by that issuer, naming the Owner's keys.
        SubjectCertificateDto cert = owner.Certificate;
        if (issuerKey is not null && v.IsValid)
        {
            byte[] certSig = v.Bytes("owner.certificate.signature", cert.Signature, exactLength: EcdsaP256.SignatureSize);
            v.Check(cert.SubjectId == memberId && cert.Kind == "member" && cert.Role == BaseGroups.TeamMembers && cert.KeysetId == ks.KeysetId
                && cert.KeysetSerial == ks.Serial && cert.EncryptionPublicKey == ks.EncryptionPublicKey && cert.SigningPublicKey == ks.SigningPublicKey
                && cert.IssuerId == issuer.IssuerId
                && TryRecord(() => new MemberCertTbs(orgId, memberId, cert.Role, ownerEnc, ownerSig, cert.KeysetId, cert.KeysetSerial, cert.IssuerId, cert.IssuedAt), out MemberCertTbs? mr)
                && mr!.Verify(issuerKey, certSig), "owner.certificate", "must certify the Owner's keyset, signed by the Owner's issuer");
        }

        // The built-in groups, each certified by the issuer.
        Dictionary<string, (GroupKeysDto Group, Fingerprint Enc)> groups = new(StringComparer.Ordinal);
        v.Check(request.Groups.Count == BuiltInGroups.Length && BuiltInGroups.All(k => request.Groups.Count(g => g.Kind == k) == 1),
            "groups", "must be exactly the built-in groups: " + string.Join(", ", BuiltInGroups));
        for (int i = 0; i < request.Groups.Count && v.IsValid; i++)
        {
            GroupKeysDto g = request.Groups[i];
            string field = $"groups[{i}]";
            string groupId = v.Id(field + ".groupId", g.GroupId);
            v.Text(field + ".name", g.Name, 200);
            string kid = KeysetKid(v, field + ".keyset", g.Keyset);
            v.Check(g.Keyset.SealedSymmetricKey is null, field + ".keyset.sealedSymmetricKey", "must be absent: a group key is wrapped to members");
            v.Envelope(field + ".keyset.sealedEncryptionPrivateKey", g.Keyset.SealedEncryptionPrivateKey, kid);
            v.Envelope(field + ".keyset.sealedSigningPrivateKey", g.Keyset.SealedSigningPrivateKey, kid);
            Fingerprint enc = KeyFingerprint(v, field + ".keyset.encryptionPublicKey", g.Keyset.EncryptionPublicKey, SpkiAlgorithm.Rsa);
            Fingerprint sig = KeyFingerprint(v, field + ".keyset.signingPublicKey", g.Keyset.SigningPublicKey, SpkiAlgorithm.EcP256);
            SubjectCertificateDto gc = g.Certificate;
            byte[] gcSig = v.Bytes(field + ".certificate.signature", gc.Signature, exactLength: EcdsaP256.SignatureSize);
            if (issuerKey is not null && v.IsValid)
            {
                v.Check(gc.SubjectId == groupId && gc.Kind == "group" && gc.Role == g.Kind && gc.KeysetId == g.Keyset.KeysetId
                    && gc.KeysetSerial == g.Keyset.Serial && gc.EncryptionPublicKey == g.Keyset.EncryptionPublicKey
                    && gc.SigningPublicKey == g.Keyset.SigningPublicKey && gc.IssuerId == issuer.IssuerId
                    && TryRecord(() => new GroupCertTbs(orgId, groupId, g.Kind, enc, sig, gc.KeysetId, gc.KeysetSerial, gc.IssuerId, gc.IssuedAt), out GroupCertTbs? gr)
                    && gr!.Verify(issuerKey, gcSig), field + ".certificate", "must certify the group's keyset, signed by the Owner's issuer");
            }
            if (v.IsValid)
            {
                groups[groupId] = (g, enc);
            }
        }
        if (v.IsValid)
        {
            string ownersKid = KeysetKid(v, "groups(owners)", groups.Values.Single(g => g.Group.Kind == GroupKinds.Owners).Group.Keyset);
            v.Envelope("organisation.sealedRootKey", org.SealedRootKey, ownersKid);
        }

        // Signed wraps of group keys, each by the Owner, to the Owner or to a group.
        EcdsaP256PublicKey? ownerSigningKey = v.IsValid ? SigningKey(v, "owner.keyset.signingPublicKey", ks.SigningPublicKey) : null;
        for (int i = 0; i < request.Wraps.Count && ownerSigningKey is not null && v.IsValid; i++)
        {
            SignedWrapDto w = request.Wraps[i];
            string field = $"wraps[{i}]";
            byte[] wrap = v.Bytes(field + ".wrap", w.Wrap, exactLength: 256);
            byte[] wrapSig = v.Bytes(field + ".signature", w.Signature, exactLength: EcdsaP256.SignatureSize);
            Fingerprint? recipientEnc = w.RecipientKind switch
            {
                "member" when w.RecipientId == memberId => ownerEnc,
                "group" when groups.TryGetValue(w.RecipientId, out (GroupKeysDto Group, Fingerprint Enc) r) => r.Enc,
                _ => null,
            };
            bool known = w.ObjectKind == WrapObjectKinds.Group && groups.TryGetValue(w.ObjectId, out (GroupKeysDto Group, Fingerprint Enc) target)
                && w.KeySerial == target.Group.Keyset.Serial && recipientEnc is not null && w.SignerId == memberId;
            v.Check(known && v.IsValid
                && TryRecord(() => new WrapTbs(w.ObjectKind, w.ObjectId, w.KeySerial, w.RecipientId, recipientEnc!.Value, Sha256Hash.Of(wrap), w.SignerId), out WrapTbs? wr)
                && wr!.Verify(ownerSigningKey, wrapSig), field, "must wrap a built-in group's key to the Owner or a group, signed by the Owner");
        }
        string ownersGroupId = groups.Values.FirstOrDefault(g => g.Group.Kind == GroupKinds.Owners).Group?.GroupId ?? "";
        v.Check(request.Wraps.Any(w => w.ObjectId == ownersGroupId && w.RecipientId == memberId), "wraps", "must give the Owner the Owners group key");
        root?.Dispose();
        issuerKey?.Dispose();
        ownerSigningKey?.Dispose();
        return (request, v);
    }

    /// <summary>
    /// New 2SKD parameters and SRP verifier (PROTOCOL.md §2, §3), wherever a client sends them: setup, acceptance, a password
    /// or Secret Key change. The only algorithm, a 16-byte salt, iterations from the server's floor to 10^8, and a verifier of
    /// the 4096-bit group (0 &lt; v &lt; N, exactly 512 bytes). Fields are named <paramref name="prefix"/><c>kdf.…</c> and
    /// <paramref name="prefix"/><c>verifier</c>.
    /// </summary>
    internal static void Credentials(RequestValidation v, string prefix, KdfDto kdf, string verifier, int minimumIterations)
    {
        v.Check(string.Equals(kdf.Alg, "coffer/2skd/v1", StringComparison.Ordinal), prefix + "kdf.alg", "must be coffer/2skd/v1");
        v.Bytes(prefix + "kdf.salt", kdf.Salt, exactLength: 16);
        v.Check(kdf.Iterations >= minimumIterations && kdf.Iterations <= MaximumIterations, prefix + "kdf.iterations",
            $"must be at least {minimumIterations} and at most {MaximumIterations}");
        byte[] v512 = v.Bytes(prefix + "verifier", verifier, exactLength: SrpParameters.Coffer.Group.PaddedLength);
        if (v512.Length == SrpParameters.Coffer.Group.PaddedLength)
        {
            v.Check(SrpVerifier.IsValid(SrpParameters.Coffer, v512), prefix + "verifier", "is not a verifier of the 4096-bit group");
        }
    }

    /// <summary>The most 2SKD iterations accepted, as clients cap them (KdfPolicy.MaximumIterations).</summary>
    internal const int MaximumIterations = 100_000_000;

    internal static string KeysetKid(RequestValidation v, string field, KeysetDto keyset) =>
        KeysetKid(v, field + ".keysetId", field + ".serial", keyset.KeysetId, keyset.Serial);

    /// <summary>Checks a keyset's id and serial and returns the key id of its symmetric key, <c>keyset:&lt;id&gt;:s&lt;serial&gt;</c>.</summary>
    internal static string KeysetKid(RequestValidation v, string idField, string serialField, string keysetId, long serial)
    {
        string id = v.Id(idField, keysetId);
        v.Check(serial >= 1, serialField, "must be at least 1");
        return $"keyset:{id}:s{serial}";
    }

    internal static Fingerprint KeyFingerprint(RequestValidation v, string field, string spki, SpkiAlgorithm expected)
    {
        byte[] bytes = v.Bytes(field, spki, maxLength: 1024);
        if (bytes.Length > 0 && Fingerprint.TryFromSpki(bytes, out Fingerprint fpr, out SpkiAlgorithm alg) && alg == expected)
        {
            return fpr;
        }
        v.Fail(field, expected == SpkiAlgorithm.Rsa ? "must be a canonical RSA SPKI" : "must be a canonical P-256 SPKI");
        return default;
    }

    internal static EcdsaP256PublicKey? SigningKey(RequestValidation v, string field, string spki)
    {
        byte[] bytes = v.Bytes(field, spki, maxLength: 1024);
        if (bytes.Length > 0 && EcdsaP256.TryImportPublicKey(bytes, out EcdsaP256PublicKey? key))
        {
            return key;
        }
        v.Fail(field, "must be a canonical P-256 SPKI");
        return null;
    }

    internal static bool TryRecord<T>(Func<T> make, out T? record) where T : class
    {
        try
        {
            record = make();
            return true;
        }
        catch (ArgumentException)
        {
            record = null;
            return false;
        }
    }
}
