using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Signatures;

namespace Coffer.Crypto.Tests.Provenance;

/// <summary>An organisation as the first Owner's client makes it: root, an admin issuer, two members.</summary>
public sealed class OrgFixture : IDisposable
{
    public const string OrgId = "0190a1b2-0000-7000-8000-000000000001";
    public const string AdminId = "0190a1b2-0000-7000-8000-0000000000a1";
    public const string IssuerId = "0190a1b2-0000-7000-8000-0000000000f1";
    public const string AliceId = "0190a1b2-0000-7000-8000-0000000000b1";
    public const string BobId = "0190a1b2-0000-7000-8000-0000000000b2";
    public const string VaultId = "0190a1b2-0000-7000-8000-0000000000c1";
    public const long T0 = 1_767_225_600_000;
    public static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    public OrgFixture()
    {
        (RootKey, Root) = Signing.CreateOrganisationRoot(OrgId, "ABC234", T0);
        IssuerKey = EcdsaP256.GenerateKey();
        Issuer = Signing.CertifyIssuer(RootKey, OrgId, IssuerId, IssuerRoles.Admin, AdminId, IssuerKey.PublicKey.Spki, T0, T0 + 90 * Day);
        Alice = Keyset.Generate("0190a1b2-0000-7000-8000-0000000000d1");
        Bob = Keyset.Generate("0190a1b2-0000-7000-8000-0000000000d2");
        AliceCert = Certify(AliceId, Alice, T0 + Day);
        BobCert = Certify(BobId, Bob, T0 + Day);
    }

    public EcdsaP256PrivateKey RootKey { get; }
    public OrganisationRoot Root { get; }
    public EcdsaP256PrivateKey IssuerKey { get; }
    public IssuerCertificate Issuer { get; }
    public Keyset Alice { get; }
    public Keyset Bob { get; }
    public MemberCertificate AliceCert { get; }
    public MemberCertificate BobCert { get; }

    public Fingerprint OrgFingerprint => RootKey.PublicKey.Fingerprint;

    public MemberCertificate Certify(string memberId, Keyset keyset, long issuedAt, EcdsaP256PrivateKey? key = null) =>
        Signing.CertifyMember(key ?? IssuerKey, OrgId, IssuerId, memberId, BaseGroups.TeamMembers, keyset.KeysetId, keyset.Serial,
            keyset.EncryptionPublicKey, keyset.SigningPublicKey, issuedAt);

    public OrganisationTrust Trust()
    {
        OrganisationTrust trust = OrganisationTrust.Establish(OrgFingerprint, Root)!;
        Assert.Equal(ProvenanceFailure.None, trust.AcceptRevocationList(
            Signing.SignRevocationList(RootKey, null, OrgId, 1, T0, []), null, T0));
        return trust;
    }

    public void Dispose()
    {
        RootKey.Dispose();
        IssuerKey.Dispose();
        Alice.Dispose();
        Bob.Dispose();
    }
}

public class OrganisationTrustTests(OrgFixture org) : IClassFixture<OrgFixture>
{
    private const long T0 = OrgFixture.T0;
    private static readonly long Day = OrgFixture.Day;

    [Fact]
    public void Establish_PinnedFingerprint_TrustsOnlyThatRoot()
    {
        Assert.NotNull(OrganisationTrust.Establish(org.OrgFingerprint, org.Root));
        // A server presenting a root of its own, self-signed and consistent, is refused against the pin.
        (EcdsaP256PrivateKey serverRoot, OrganisationRoot forged) = Signing.CreateOrganisationRoot(OrgFixture.OrgId, "ABC234", T0);
        using (serverRoot)
        {
            Assert.Null(OrganisationTrust.Establish(org.OrgFingerprint, forged));
            Assert.Null(OrganisationTrust.Establish(org.OrgFingerprint, org.Root with { RootPublicKey = forged.RootPublicKey }));
            Assert.Null(OrganisationTrust.Establish(org.OrgFingerprint, org.Root with { Signature = forged.Signature }));
        }
    }

    [Fact]
    public void VerifyMember_GenuineChain_Passes()
    {
        OrganisationTrust trust = org.Trust();
        Assert.Equal(ProvenanceFailure.None, trust.VerifyIssuer(org.Issuer, T0 + 10 * Day));
        Assert.Equal(ProvenanceFailure.None, trust.VerifyMember(org.AliceCert, org.Issuer));
    }

    [Fact]
    public void VerifyMember_PublicKeySubstitutedByServer_IsRefused()
    {
        OrganisationTrust trust = org.Trust();
        using Keyset attacker = Keyset.Generate("0190a1b2-0000-7000-8000-0000000000e1");
        Assert.Equal(ProvenanceFailure.FingerprintMismatch,
            trust.VerifyMember(org.AliceCert with { EncryptionPublicKey = attacker.EncryptionPublicKey }, org.Issuer));
        Assert.Equal(ProvenanceFailure.FingerprintMismatch,
            trust.VerifyMember(org.AliceCert with { SigningPublicKey = attacker.SigningPublicKey }, org.Issuer));
        // Re-certified by someone who is not an issuer: the member's own key, or the server's.
        MemberCertificate selfSigned = org.Certify(OrgFixture.AliceId, attacker, T0 + Day, attacker.SigningKey);
        Assert.Equal(ProvenanceFailure.BadSignature, trust.VerifyMember(selfSigned, org.Issuer));
    }

    [Fact]
    public void VerifyIssuer_NotSignedByRootOrTooLongOrExpired_IsRefused()
    {
        OrganisationTrust trust = org.Trust();
        using EcdsaP256PrivateKey notRoot = EcdsaP256.GenerateKey();
        IssuerCertificate fake = Signing.CertifyIssuer(notRoot, OrgFixture.OrgId, OrgFixture.IssuerId, IssuerRoles.Admin,
            OrgFixture.AdminId, org.IssuerKey.PublicKey.Spki, T0, T0 + Day);
        Assert.Equal(ProvenanceFailure.BadSignature, trust.VerifyIssuer(fake, T0 + 1));
        Assert.Equal(ProvenanceFailure.Expired, trust.VerifyIssuer(org.Issuer, T0 + 91 * Day));
        Assert.Equal(ProvenanceFailure.Expired, trust.VerifyIssuer(org.Issuer, T0 - Day));
        Assert.Throws<ArgumentException>(() => Signing.CertifyIssuer(org.RootKey, OrgFixture.OrgId, OrgFixture.IssuerId,
            IssuerRoles.Admin, OrgFixture.AdminId, org.IssuerKey.PublicKey.Spki, T0, T0 + 91 * Day));
        using EcdsaP256PrivateKey otherKey = EcdsaP256.GenerateKey();
        Assert.Equal(ProvenanceFailure.FingerprintMismatch,
            trust.VerifyIssuer(org.Issuer with { IssuerPublicKey = otherKey.PublicKey.ExportSpki() }, T0 + 1));
    }

    [Fact]
    public void VerifyMember_AfterIssuerExpiry_StaysValid_ButNotIfIssuedOutsideItsValidity()
    {
        OrganisationTrust trust = org.Trust();
        Assert.Equal(ProvenanceFailure.None, trust.VerifyMember(org.AliceCert, org.Issuer));
        MemberCertificate late = org.Certify(OrgFixture.AliceId, org.Alice, T0 + 91 * Day);
        Assert.Equal(ProvenanceFailure.Expired, trust.VerifyMember(late, org.Issuer));
    }

    [Fact]
    public void RevokedIssuerOrMember_IsRefused()
    {
        OrganisationTrust trust = org.Trust();
        Assert.Equal(ProvenanceFailure.None, trust.AcceptRevocationList(Signing.SignRevocationList(org.RootKey, null, OrgFixture.OrgId, 2,
            T0 + Day, [new RevocationEntry(CertKinds.Member, OrgFixture.BobId, org.Bob.Serial)]), null, T0 + Day));
        Assert.Equal(ProvenanceFailure.Revoked, trust.VerifyMember(org.BobCert, org.Issuer));
        Assert.Equal(ProvenanceFailure.None, trust.VerifyMember(org.AliceCert, org.Issuer));

        Assert.Equal(ProvenanceFailure.None, trust.AcceptRevocationList(Signing.SignRevocationList(org.RootKey, null, OrgFixture.OrgId, 3,
            T0 + 2 * Day, [new RevocationEntry(CertKinds.Issuer, OrgFixture.IssuerId, 0)]), null, T0 + 2 * Day));
        Assert.Equal(ProvenanceFailure.Revoked, trust.VerifyIssuer(org.Issuer, T0 + 2 * Day));
        Assert.Equal(ProvenanceFailure.Revoked, trust.VerifyMember(org.AliceCert, org.Issuer));
    }

    [Fact]
    public void AcceptRevocationList_OlderForgedOrForeign_IsRefused()
    {
        OrganisationTrust trust = org.Trust();
        RevocationList v5 = Signing.SignRevocationList(org.RootKey, null, OrgFixture.OrgId, 5, T0 + Day, []);
        Assert.Equal(ProvenanceFailure.None, trust.AcceptRevocationList(v5, null, T0 + Day));
        Assert.Equal(ProvenanceFailure.Mismatch, trust.AcceptRevocationList(
            Signing.SignRevocationList(org.RootKey, null, OrgFixture.OrgId, 4, T0 + Day, []), null, T0 + Day));
        using EcdsaP256PrivateKey server = EcdsaP256.GenerateKey();
        Assert.Equal(ProvenanceFailure.BadSignature, trust.AcceptRevocationList(
            Signing.SignRevocationList(server, null, OrgFixture.OrgId, 6, T0 + Day, []), null, T0 + Day));
        Assert.Equal(ProvenanceFailure.WrongOrganisation, trust.AcceptRevocationList(
            Signing.SignRevocationList(org.RootKey, null, "0190a1b2-0000-7000-8000-00000000ffff", 7, T0 + Day, []), null, T0 + Day));
        // An issuer may sign one.
        Assert.Equal(ProvenanceFailure.None, trust.AcceptRevocationList(
            Signing.SignRevocationList(org.IssuerKey, OrgFixture.IssuerId, OrgFixture.OrgId, 8, T0 + 2 * Day, []), org.Issuer, T0 + 2 * Day));
        Assert.Equal(8, trust.Revocations!.Record.ListVersion);
    }

    [Fact]
    public void MayWrap_OnlyWithAListAtMost24HoursOld()
    {
        OrganisationTrust fresh = OrganisationTrust.Establish(org.OrgFingerprint, org.Root)!;
        Assert.False(fresh.MayWrap(T0));
        OrganisationTrust trust = org.Trust();
        Assert.True(trust.MayWrap(T0 + Day));
        Assert.False(trust.MayWrap(T0 + Day + 1));
    }

    [Fact]
    public void VerifyWrap_GenuineSignedGrant_PassesAndUnwraps()
    {
        OrganisationTrust trust = org.Trust();
        using VaultKey vaultKey = VaultKey.Generate(OrgFixture.VaultId);
        SignedWrap grant = Signing.SignWrap(org.Alice.SigningKey, OrgFixture.AliceId, WrapObjectKinds.Vault, OrgFixture.VaultId, 1,
            OrgFixture.BobId, org.Bob.EncryptionPublicKey, vaultKey.WrapTo(org.Bob.EncryptionPublicKey));

        Assert.Equal(ProvenanceFailure.None, trust.VerifyWrap(grant, ExpectedByBob(grant.Wrap, OrgFixture.AliceId, 1), org.AliceCert, org.Issuer));
        byte[]? raw = KeyWrap.Unwrap(org.Bob.EncryptionKey, grant.Wrap);
        using VaultKey received = VaultKey.FromUnwrapped(OrgFixture.VaultId, 1, raw!);
        Assert.True(received.SameKeyAs(vaultKey));
    }

    [Fact]
    public void VerifyWrap_KeyInjectedByServer_IsRefused()
    {
        OrganisationTrust trust = org.Trust();
        using VaultKey serverKey = VaultKey.Generate(OrgFixture.VaultId);
        byte[] wrap = serverKey.WrapTo(org.Bob.EncryptionPublicKey);

        // Signed by nobody: the server copies a genuine signature from another wrap.
        using VaultKey realKey = VaultKey.Generate(OrgFixture.VaultId);
        SignedWrap genuine = Signing.SignWrap(org.Alice.SigningKey, OrgFixture.AliceId, WrapObjectKinds.Vault, OrgFixture.VaultId, 1,
            OrgFixture.BobId, org.Bob.EncryptionPublicKey, realKey.WrapTo(org.Bob.EncryptionPublicKey));
        SignedWrap spliced = genuine with { Wrap = wrap };
        Assert.Equal(ProvenanceFailure.Mismatch, trust.VerifyWrap(spliced, ExpectedByBob(wrap, OrgFixture.AliceId, 1), org.AliceCert, org.Issuer));
        Assert.Equal(ProvenanceFailure.BadSignature, trust.VerifyWrap(spliced with { Record = ExpectedByBob(wrap, OrgFixture.AliceId, 1) },
            ExpectedByBob(wrap, OrgFixture.AliceId, 1), org.AliceCert, org.Issuer));

        // Signed by a key that is not a certified member's (the server's own, or a non-issuer-certified one).
        using Keyset rogue = Keyset.Generate("0190a1b2-0000-7000-8000-0000000000e2");
        SignedWrap byRogue = Signing.SignWrap(rogue.SigningKey, OrgFixture.AliceId, WrapObjectKinds.Vault, OrgFixture.VaultId, 1,
            OrgFixture.BobId, org.Bob.EncryptionPublicKey, wrap);
        Assert.Equal(ProvenanceFailure.BadSignature, trust.VerifyWrap(byRogue, ExpectedByBob(wrap, OrgFixture.AliceId, 1), org.AliceCert, org.Issuer));
        MemberCertificate rogueCert = org.Certify(OrgFixture.AliceId, rogue, T0 + Day, rogue.SigningKey);
        Assert.Equal(ProvenanceFailure.BadSignature, trust.VerifyWrap(byRogue, ExpectedByBob(wrap, OrgFixture.AliceId, 1), rogueCert, org.Issuer));
    }

    [Fact]
    public void VerifyWrap_FieldsOtherThanTheRecipientExpects_AreRefused()
    {
        OrganisationTrust trust = org.Trust();
        using VaultKey vaultKey = VaultKey.Generate(OrgFixture.VaultId);
        byte[] wrap = vaultKey.WrapTo(org.Bob.EncryptionPublicKey);
        SignedWrap grant = Signing.SignWrap(org.Alice.SigningKey, OrgFixture.AliceId, WrapObjectKinds.Vault, OrgFixture.VaultId, 1,
            OrgFixture.BobId, org.Bob.EncryptionPublicKey, wrap);
        // Replayed as a later serial, or as another vault's key, or presented to Alice as hers.
        Assert.Equal(ProvenanceFailure.Mismatch, trust.VerifyWrap(grant, ExpectedByBob(wrap, OrgFixture.AliceId, 2), org.AliceCert, org.Issuer));
        WrapTbs otherVault = new(WrapObjectKinds.Vault, "0190a1b2-0000-7000-8000-0000000000c2", 1, OrgFixture.BobId,
            Fingerprint.FromSpki(org.Bob.EncryptionPublicKey), Sha256Hash.FromBytes(System.Security.Cryptography.SHA256.HashData(wrap)), OrgFixture.AliceId);
        Assert.Equal(ProvenanceFailure.Mismatch, trust.VerifyWrap(grant, otherVault, org.AliceCert, org.Issuer));
        // The signer is not the member the certificate names.
        Assert.Equal(ProvenanceFailure.WrongSigner, trust.VerifyWrap(grant, ExpectedByBob(wrap, OrgFixture.AliceId, 1), org.BobCert, org.Issuer));
    }

    [Fact]
    public void VerifyAuditKey_RootSignedCertificate_IsAccepted_AnythingElseIsRefused()
    {
        // docs/adr/0016: the root certifies the server's audit key.
        OrganisationTrust trust = org.Trust();
        using EcdsaP256PrivateKey audit = EcdsaP256.GenerateKey();
        AuditKeyCertificate certificate = Signing.CertifyAuditKey(org.RootKey, OrgFixture.OrgId, audit.PublicKey.Spki, T0);
        Assert.Equal(ProvenanceFailure.None, trust.VerifyAuditKey(certificate));

        // Signed by an issuer (or the server itself) rather than the root.
        AuditKeyCertificate byIssuer = Signing.CertifyAuditKey(org.IssuerKey, OrgFixture.OrgId, audit.PublicKey.Spki, T0);
        Assert.Equal(ProvenanceFailure.BadSignature, trust.VerifyAuditKey(byIssuer));
        AuditKeyCertificate bySelf = Signing.CertifyAuditKey(audit, OrgFixture.OrgId, audit.PublicKey.Spki, T0);
        Assert.Equal(ProvenanceFailure.BadSignature, trust.VerifyAuditKey(bySelf));
        // Presented with another key than the one it names.
        using EcdsaP256PrivateKey swapped = EcdsaP256.GenerateKey();
        Assert.Equal(ProvenanceFailure.FingerprintMismatch, trust.VerifyAuditKey(certificate with { AuditPublicKey = swapped.PublicKey.ExportSpki() }));
        // Another organisation's, even with this root's signature.
        AuditKeyCertificate foreign = Signing.CertifyAuditKey(org.RootKey, "0190a1b2-0000-7000-8000-000000000099", audit.PublicKey.Spki, T0);
        Assert.Equal(ProvenanceFailure.WrongOrganisation, trust.VerifyAuditKey(foreign));
        // An RSA key is no audit key.
        Assert.Throws<ArgumentException>(() => Signing.CertifyAuditKey(org.RootKey, OrgFixture.OrgId, org.Alice.EncryptionPublicKey, T0));
    }

    private WrapTbs ExpectedByBob(byte[] wrap, string signerId, long serial) =>
        new(WrapObjectKinds.Vault, OrgFixture.VaultId, serial, OrgFixture.BobId, Fingerprint.FromSpki(org.Bob.EncryptionPublicKey),
            Sha256Hash.FromBytes(System.Security.Cryptography.SHA256.HashData(wrap)), signerId);
}
