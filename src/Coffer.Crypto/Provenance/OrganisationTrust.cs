using System.Security.Cryptography;
using Coffer.Protocol.Signatures;

namespace Coffer.Crypto.Provenance;

/// <summary>
/// Verifies key provenance (PROTOCOL.md §5.1) from a pinned organisation fingerprint:
/// root → issuer certificates (role admin or provisioning, at most 90 days) → member
/// and group certificates → signed wraps, honouring the newest verified revocation list.
/// A client uses nothing fetched from the server — no public key, no wrapped key — before
/// it passes here. Rules beyond the protocol text are in docs/adr/0005.
/// </summary>
public sealed class OrganisationTrust
{
    /// <summary>Longest validity of an issuer certificate.</summary>
    public static readonly TimeSpan MaximumIssuerValidity = TimeSpan.FromDays(90);

    /// <summary>How far in the future an issuedAt may lie (clock skew between clients).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>How old the newest revocation list may be before nothing is wrapped.</summary>
    public static readonly TimeSpan RevocationListMaximumAge = TimeSpan.FromHours(24);

    private readonly EcdsaP256PublicKey _root;
    private readonly HashSet<RevocationEntry> _revoked = [];

    private OrganisationTrust(OrganisationRoot root, EcdsaP256PublicKey rootKey)
    {
        Root = root;
        _root = rootKey;
    }

    /// <summary>The verified root.</summary>
    public OrganisationRoot Root { get; }

    /// <summary>The organisation id.</summary>
    public string OrgId => Root.Record.OrgId;

    /// <summary>The newest verified revocation list, if any.</summary>
    public RevocationList? Revocations { get; private set; }

    /// <summary>
    /// Establishes trust in a root fetched from the server, against the organisation fingerprint
    /// pinned from outside it (Emergency Kit, invitation link fragment). Null when the root's key
    /// is not the pinned one or its self-signature fails.
    /// </summary>
    public static OrganisationTrust? Establish(Fingerprint pinnedOrganisation, OrganisationRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!EcdsaP256.TryImportPublicKey(root.RootPublicKey, out EcdsaP256PublicKey? key))
        {
            return null;
        }
        bool ok = key.Fingerprint == pinnedOrganisation && root.Record.RootFpr == pinnedOrganisation
            && root.Record.Verify(key, root.Signature);
        if (!ok)
        {
            key.Dispose();
            return null;
        }
        return new OrganisationTrust(root, key);
    }

    /// <summary>
    /// Accepts a revocation list if it is this organisation's, signed by the root or by a valid
    /// issuer, and not older than the one held. An older or equal version is refused.
    /// </summary>
    public ProvenanceFailure AcceptRevocationList(RevocationList list, IssuerCertificate? signer, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(list);
        if (!string.Equals(list.Record.OrgId, OrgId, StringComparison.Ordinal))
        {
            return ProvenanceFailure.WrongOrganisation;
        }
        if (Revocations is not null && list.Record.ListVersion <= Revocations.Record.ListVersion)
        {
            return list.Record.ListVersion == Revocations.Record.ListVersion && list.Record == Revocations.Record
                ? ProvenanceFailure.None
                : ProvenanceFailure.Mismatch;
        }
        if (list.IssuerId is null)
        {
            if (!list.Record.Verify(_root, list.Signature))
            {
                return ProvenanceFailure.BadSignature;
            }
        }
        else
        {
            if (signer is null || !string.Equals(signer.Record.IssuerId, list.IssuerId, StringComparison.Ordinal))
            {
                return ProvenanceFailure.WrongSigner;
            }
            // The new list must not revoke its own signer; and the signer must be valid now, judged by the current list.
            ProvenanceFailure issuer = VerifyIssuer(signer, nowMs);
            if (issuer != ProvenanceFailure.None)
            {
                return issuer;
            }
            using EcdsaP256PublicKey key = EcdsaP256.ImportPublicKey(signer.IssuerPublicKey);
            if (!list.Record.Verify(key, list.Signature))
            {
                return ProvenanceFailure.BadSignature;
            }
            if (list.Record.Entries.Contains(new RevocationEntry(CertKinds.Issuer, list.IssuerId, 0)))
            {
                return ProvenanceFailure.Revoked;
            }
        }
        Revocations = list;
        _revoked.Clear();
        _revoked.UnionWith(list.Record.Entries);
        return ProvenanceFailure.None;
    }

    /// <summary>
    /// Whether the organisation root signed <paramref name="record"/> (a key-related policy, PROTOCOL.md §5.2) with
    /// <paramref name="signature"/> (64 bytes, P1363), and the record is this organisation's.
    /// </summary>
    public bool VerifyPolicy(PolicyTbs record, ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(record);
        return string.Equals(record.OrgId, OrgId, StringComparison.Ordinal) && record.Verify(_root, signature);
    }

    /// <summary>True if the newest revocation list is recent enough to wrap keys to anyone.</summary>
    public bool MayWrap(long nowMs) =>
        Revocations is not null && nowMs - Revocations.Record.IssuedAt <= (long)RevocationListMaximumAge.TotalMilliseconds;

    /// <summary>Checks an issuer certificate: root signature, fingerprint, role, validity now, not revoked.</summary>
    public ProvenanceFailure VerifyIssuer(IssuerCertificate certificate, long nowMs) => VerifyIssuerAt(certificate, nowMs);

    /// <summary>
    /// Checks a certificate of the server's audit key (docs/adr/0016): this organisation's, naming the fingerprint of the
    /// canonical P-256 key presented with it, and signed by the root. Whether it is the newest one is the pins' question
    /// (<see cref="Pins.ObserveAuditKeyCertificate"/>).
    /// </summary>
    public ProvenanceFailure VerifyAuditKey(AuditKeyCertificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        AuditKeyTbs r = certificate.Record;
        if (!string.Equals(r.OrgId, OrgId, StringComparison.Ordinal))
        {
            return ProvenanceFailure.WrongOrganisation;
        }
        if (!Fingerprint.TryFromSpki(certificate.AuditPublicKey, out Fingerprint actual, out SpkiAlgorithm algorithm)
            || algorithm != SpkiAlgorithm.EcP256 || actual != r.AuditFpr)
        {
            return ProvenanceFailure.FingerprintMismatch;
        }
        return r.Verify(_root, certificate.Signature) ? ProvenanceFailure.None : ProvenanceFailure.BadSignature;
    }

    /// <summary>
    /// Checks a member certificate and its issuer: the issuer chain to the root, not revoked, the
    /// certificate issued within the issuer's validity and signed by it, the public keys matching
    /// the fingerprints, and the member not revoked at this keyset serial.
    /// </summary>
    public ProvenanceFailure VerifyMember(MemberCertificate certificate, IssuerCertificate issuer)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        MemberCertTbs r = certificate.Record;
        return VerifySubject(r.OrgId, r.IssuerId, r.IssuedAt, certificate.Record, certificate.Signature, issuer,
            certificate.EncryptionPublicKey, r.EncFpr, certificate.SigningPublicKey, r.SigFpr,
            new RevocationEntry(CertKinds.Member, r.MemberId, r.KeysetSerial));
    }

    /// <summary>Checks a group certificate and its issuer (as <see cref="VerifyMember"/>).</summary>
    public ProvenanceFailure VerifyGroup(GroupCertificate certificate, IssuerCertificate issuer)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        GroupCertTbs r = certificate.Record;
        return VerifySubject(r.OrgId, r.IssuerId, r.IssuedAt, certificate.Record, certificate.Signature, issuer,
            certificate.EncryptionPublicKey, r.EncFpr, certificate.SigningPublicKey, r.SigFpr,
            new RevocationEntry(CertKinds.Group, r.GroupId, r.KeysetSerial));
    }

    /// <summary>
    /// Checks a signed wrap the recipient received. <paramref name="expected"/> is built by the
    /// recipient from its own knowledge — what it asked for, its own id and fingerprint, SHA-256
    /// of the wrap bytes it got, and who it believes signed — never copied from the server's record.
    /// The signer's member certificate and its issuer are verified too.
    /// </summary>
    public ProvenanceFailure VerifyWrap(SignedWrap wrap, WrapTbs expected, MemberCertificate signer, IssuerCertificate signerIssuer)
    {
        ArgumentNullException.ThrowIfNull(wrap);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(signer);
        Sha256Hash actualHash = Sha256Hash.FromBytes(SHA256.HashData(wrap.Wrap));
        if (wrap.Record != expected || expected.WrapHash != actualHash)
        {
            return ProvenanceFailure.Mismatch;
        }
        if (!string.Equals(signer.Record.MemberId, expected.SignerId, StringComparison.Ordinal))
        {
            return ProvenanceFailure.WrongSigner;
        }
        ProvenanceFailure chain = VerifyMember(signer, signerIssuer);
        if (chain != ProvenanceFailure.None)
        {
            return chain;
        }
        using EcdsaP256PublicKey key = EcdsaP256.ImportPublicKey(signer.SigningPublicKey);
        return expected.Verify(key, wrap.Signature) ? ProvenanceFailure.None : ProvenanceFailure.BadSignature;
    }

    private ProvenanceFailure VerifySubject(string orgId, string issuerId, long issuedAt, TbsRecord record, byte[] signature,
        IssuerCertificate issuer, byte[] encSpki, Fingerprint encFpr, byte[] sigSpki, Fingerprint sigFpr, RevocationEntry self)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (!string.Equals(orgId, OrgId, StringComparison.Ordinal))
        {
            return ProvenanceFailure.WrongOrganisation;
        }
        if (!string.Equals(issuerId, issuer.Record.IssuerId, StringComparison.Ordinal))
        {
            return ProvenanceFailure.WrongSigner;
        }
        // A certificate stays valid after its issuer's certificate expires (it was issued while the issuer was
        // valid); it does not survive the issuer's revocation (docs/adr/0005).
        ProvenanceFailure issuerCheck = VerifyIssuerAt(issuer, issuedAt);
        if (issuerCheck != ProvenanceFailure.None)
        {
            return issuerCheck;
        }
        if (!Fingerprint.TryFromSpki(encSpki, out Fingerprint actualEnc, out SpkiAlgorithm encAlg) || encAlg != SpkiAlgorithm.Rsa
            || actualEnc != encFpr || !Keys.RsaPublicKey.IsValid(encSpki)
            || !Fingerprint.TryFromSpki(sigSpki, out Fingerprint actualSig, out SpkiAlgorithm sigAlg) || sigAlg != SpkiAlgorithm.EcP256
            || actualSig != sigFpr)
        {
            return ProvenanceFailure.FingerprintMismatch;
        }
        using EcdsaP256PublicKey issuerKey = EcdsaP256.ImportPublicKey(issuer.IssuerPublicKey);
        if (!record.Verify(issuerKey, signature))
        {
            return ProvenanceFailure.BadSignature;
        }
        return _revoked.Contains(self) ? ProvenanceFailure.Revoked : ProvenanceFailure.None;
    }

    private ProvenanceFailure VerifyIssuerAt(IssuerCertificate certificate, long atMs)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        IssuerTbs r = certificate.Record;
        if (!string.Equals(r.OrgId, OrgId, StringComparison.Ordinal))
        {
            return ProvenanceFailure.WrongOrganisation;
        }
        if (!EcdsaP256.TryImportPublicKey(certificate.IssuerPublicKey, out EcdsaP256PublicKey? key))
        {
            return ProvenanceFailure.FingerprintMismatch;
        }
        using (key)
        {
            if (key.Fingerprint != r.IssuerFpr)
            {
                return ProvenanceFailure.FingerprintMismatch;
            }
        }
        if (!r.Verify(_root, certificate.Signature))
        {
            return ProvenanceFailure.BadSignature;
        }
        long skew = (long)ClockSkew.TotalMilliseconds;
        bool valid = r.ExpiresAt > r.IssuedAt
            && r.ExpiresAt - r.IssuedAt <= (long)MaximumIssuerValidity.TotalMilliseconds
            && atMs >= r.IssuedAt - skew && atMs <= r.ExpiresAt;
        if (!valid)
        {
            return ProvenanceFailure.Expired;
        }
        return _revoked.Contains(new RevocationEntry(CertKinds.Issuer, r.IssuerId, 0)) ? ProvenanceFailure.Revoked : ProvenanceFailure.None;
    }
}
