using System.Text.Json;
using Coffer.Contracts;
using Coffer.Contracts.Audit;
using Coffer.Contracts.Keys;
using Coffer.Contracts.Setup;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Accounts;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Ids;
using Coffer.Sdk.Setup;
using Coffer.Sdk.Tests.Support;

namespace Coffer.Sdk.Tests.Setup;

public class OrganisationSetupTests(SetupFixture setup) : IClassFixture<SetupFixture>
{
    private static readonly string[] BuiltInKinds =
        [GroupKinds.Owners, GroupKinds.Administrators, GroupKinds.TeamMembers, GroupKinds.Guests, GroupKinds.Recovery];

    [Fact]
    public void Create_IdsAreLowerCaseUuidV7StampedWithTheClock()
    {
        SetupRequest r = setup.Request;
        string[] ids =
        [
            r.Organisation.Root.OrgId, r.Owner.MemberId, r.Owner.Keyset.KeysetId, r.Owner.Issuer.IssuerId,
            .. r.Groups.Select(g => g.GroupId), .. r.Groups.Select(g => g.Keyset.KeysetId),
        ];
        Assert.Equal(ids.Length, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Equal(SetupFixture.Now.ToUnixTimeMilliseconds(), UuidV7.TimestampOf(id)));
    }

    [Fact]
    public void Create_OwnerHasKdfAtLeastTheFloorAndA512ByteVerifier_Protocol2And3()
    {
        SetupOwnerDto owner = setup.Request.Owner;
        Assert.Equal(KdfPolicy.Algorithm, owner.Kdf.Alg);
        Assert.Equal(SetupFixture.Iterations, owner.Kdf.Iterations);
        Assert.Equal(16, Base64Url.Decode(owner.Kdf.Salt).Length);
        Assert.Equal(512, Base64Url.Decode(owner.Verifier).Length);
        Assert.Equal("owner@example.org", owner.Email);
        Assert.Equal("Olive Owner", owner.Name);
        Assert.Equal(SetupFixture.Token, setup.Request.Token);
    }

    [Fact]
    public void Create_CertificatesAreTheOwnersIssuerAndMember_Protocol5_1()
    {
        SetupRequest r = setup.Request;
        IssuerCertificateDto issuer = r.Owner.Issuer;
        Assert.Equal(IssuerRoles.Admin, issuer.Role);
        Assert.Equal(r.Owner.MemberId, issuer.HolderId);
        Assert.Equal(TimeSpan.FromDays(90).TotalMilliseconds, issuer.ExpiresAt - issuer.IssuedAt);
        SubjectCertificateDto member = r.Owner.Certificate;
        Assert.Equal(CertKinds.Member, member.Kind);
        Assert.Equal(BaseGroups.TeamMembers, member.Role);
        Assert.Equal(issuer.IssuerId, member.IssuerId);
        Assert.Equal(r.Owner.Keyset.EncryptionPublicKey, member.EncryptionPublicKey);
        Assert.Equal(r.Owner.Keyset.SigningPublicKey, member.SigningPublicKey);
        Assert.Equal(setup.Result.SecretKey.AccountId, r.Organisation.Root.AccountId);
        Assert.Equal(1, r.Organisation.RevocationList.Version);
        Assert.Empty(r.Organisation.RevocationList.Entries);
        Assert.Null(r.Organisation.RevocationList.IssuerId);
    }

    [Fact]
    public void Create_MakesTheFiveBuiltInGroupsCertifiedByTheOwnersIssuer()
    {
        SetupRequest r = setup.Request;
        Assert.Equal(BuiltInKinds, r.Groups.Select(g => g.Kind));
        Assert.All(r.Groups, g =>
        {
            Assert.Null(g.Keyset.SealedSymmetricKey);
            Assert.Equal(g.Kind, g.Certificate.Role);
            Assert.Equal(g.GroupId, g.Certificate.SubjectId);
            Assert.Equal(CertKinds.Group, g.Certificate.Kind);
            Assert.Equal(r.Owner.Issuer.IssuerId, g.Certificate.IssuerId);
            Assert.False(string.IsNullOrWhiteSpace(g.Name));
        });
    }

    [Fact]
    public void Create_WrapsEveryGroupToTheOwnerAndToItsManagingGroups_Adr0006()
    {
        SetupRequest r = setup.Request;
        string Kind(string groupId) => r.Groups.Single(g => g.GroupId == groupId).Kind;
        Assert.All(r.Wraps, w =>
        {
            Assert.Equal(WrapObjectKinds.Group, w.ObjectKind);
            Assert.Equal(r.Owner.MemberId, w.SignerId);
            Assert.Equal(1, w.KeySerial);
            Assert.Equal(1, w.RecipientKeysetSerial);
        });
        string[] toOwner = [.. r.Wraps.Where(w => w.RecipientKind == CertKinds.Member && w.RecipientId == r.Owner.MemberId).Select(w => Kind(w.ObjectId))];
        Assert.Equal(BuiltInKinds, toOwner);
        string[] toGroups = [.. r.Wraps.Where(w => w.RecipientKind == CertKinds.Group).Select(w => Kind(w.RecipientId) + "<-" + Kind(w.ObjectId)).Order(StringComparer.Ordinal)];
        Assert.Equal(
        [
            "administrators<-guests", "administrators<-team_members",
            "owners<-administrators", "owners<-guests", "owners<-recovery", "owners<-team_members",
        ], toGroups);
        Assert.Equal(11, r.Wraps.Count);
    }

    [Fact]
    public void EmergencyKit_HoldsSecretKeyAndFingerprintButNeverThePassword()
    {
        EmergencyKit kit = setup.Result.EmergencyKit;
        string text = kit.ToText();
        string secretKey = setup.Result.SecretKey.Format();
        Assert.Contains(secretKey, text, StringComparison.Ordinal);
        Assert.Contains(setup.Account.OrganisationFingerprint.ToDisplayString(), text, StringComparison.Ordinal);
        Assert.Contains("https://coffer.example.org", text, StringComparison.Ordinal);
        Assert.Contains("owner@example.org", text, StringComparison.Ordinal);
        Assert.Contains(setup.Account.AccountId, text, StringComparison.Ordinal);
        Assert.Contains("____", text, StringComparison.Ordinal);
        Assert.DoesNotContain(SetupFixture.Password, text, StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(secretKey, kit.ToString(), StringComparison.Ordinal);
        // What is printed is what the Secret Key parser reads back.
        using SecretKey parsed = SecretKey.Parse(kit.SecretKey);
        Assert.Equal(setup.Result.SecretKey.SecretAscii.ToArray(), parsed.SecretAscii.ToArray());
    }

    [Fact]
    public void Create_RemembersWhatTheDeviceNeedsForTheNextSignIn()
    {
        RememberedAccount account = setup.Account;
        SetupRequest r = setup.Request;
        Assert.Equal(r.Owner.MemberId, account.MemberId);
        Assert.Equal(r.Organisation.Root.OrgId, account.OrgId);
        Assert.Equal(r.Organisation.Root.AccountId, account.AccountId);
        Assert.Equal(Fingerprint.FromSpki(Base64Url.Decode(r.Organisation.Root.PublicKey)), account.OrganisationFingerprint);
        Assert.Equal(SetupFixture.Iterations, account.LastIterations);
        Assert.Equal("owner@example.org", account.Email);
    }

    [Fact]
    public void SetupRequest_RoundTripsThroughCofferJsonContext()
    {
        string json = JsonSerializer.Serialize(setup.Request, CofferJsonContext.Default.SetupRequest);
        SetupRequest? back = JsonSerializer.Deserialize(json, CofferJsonContext.Default.SetupRequest);
        Assert.NotNull(back);
        Assert.Equal(json, JsonSerializer.Serialize(back, CofferJsonContext.Default.SetupRequest));
        Assert.DoesNotContain("correct horse", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(setup.Result.SecretKey.Format(), json, StringComparison.Ordinal);
        // Group keysets carry no sealed symmetric key: their key is wrapped.
        Assert.All(back.Groups, g => Assert.Null(g.Keyset.SealedSymmetricKey));
        Assert.NotNull(back.Owner.Keyset.SealedSymmetricKey);
    }

    [Theory]
    [InlineData("short pass 1")]                          // under 14 characters
    [InlineData("owner@example.org is my password")]      // contains the email
    [InlineData("example ministry password")]             // contains the organisation name
    public void Create_PasswordBreakingPolicy_IsRefusedWithoutEchoingIt(string password)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() =>
            OrganisationSetup.Create(SetupFixture.Details, password, SetupFixture.Token, SetupFixture.Clock, SetupFixture.Policy, SetupFixture.Iterations));
        Assert.Equal("password", e.ParamName);
        Assert.DoesNotContain(password, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_IterationsBelowThePolicyFloor_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => OrganisationSetup.Create(SetupFixture.Details, SetupFixture.Password, SetupFixture.Token,
            SetupFixture.Clock, SetupFixture.Policy, SetupFixture.Iterations - 1));
        Assert.Throws<ArgumentException>(() => OrganisationSetup.Create(SetupFixture.Details, SetupFixture.Password, SetupFixture.Token,
            SetupFixture.Clock, KdfPolicy.Default, KdfPolicy.MinimumIterations - 1));
    }

    [Theory]
    [InlineData("c2V0dXA=")]   // padded
    [InlineData("not base64url!")]
    [InlineData("")]
    public void Create_SetupTokenNotBase64Url_IsRefused(string token) =>
        Assert.Throws<ArgumentException>(() => OrganisationSetup.Create(SetupFixture.Details, SetupFixture.Password, token,
            SetupFixture.Clock, SetupFixture.Policy, SetupFixture.Iterations));

    [Fact]
    public void Create_MalformedDetails_AreRefused()
    {
        SetupDetails[] bad =
        [
            SetupFixture.Details with { OwnerEmail = "not-an-email" },
            SetupFixture.Details with { OrganisationName = " " },
            SetupFixture.Details with { OwnerName = "" },
            SetupFixture.Details with { SignInAddress = new Uri("/relative", UriKind.Relative) },
        ];
        Assert.All(bad, details => Assert.ThrowsAny<ArgumentException>(() => OrganisationSetup.Create(details, SetupFixture.Password,
            SetupFixture.Token, SetupFixture.Clock, SetupFixture.Policy, SetupFixture.Iterations)));
    }

    [Fact]
    public void Create_WithTheServersAuditKey_TheNewRootCertifiesIt_Adr0016()
    {
        using EcdsaP256PrivateKey audit = EcdsaP256.GenerateKey();
        SetupStatusResponse status = new(true, Base64Url.Encode(audit.PublicKey.Spki), audit.PublicKey.Fingerprint.ToString());
        byte[] auditKey = OrganisationSetup.ReadAuditKey(status);
        using OrganisationSetupResult result = OrganisationSetup.Create(SetupFixture.Details, SetupFixture.Password, SetupFixture.Token,
            SetupFixture.Clock, SetupFixture.Policy, SetupFixture.Iterations, auditKey);

        AuditKeyCertificateDto certificate = result.Request.Organisation.AuditKeyCertificate!;
        OrganisationRootDto root = result.Request.Organisation.Root;
        Assert.Equal(Base64Url.Encode(audit.PublicKey.Spki), certificate.PublicKey);
        Assert.Equal(root.CreatedAt, certificate.IssuedAt);
        using EcdsaP256PublicKey rootKey = EcdsaP256.ImportPublicKey(Base64Url.Decode(root.PublicKey));
        Assert.True(new AuditKeyTbs(root.OrgId, audit.PublicKey.Fingerprint, certificate.IssuedAt).Verify(rootKey, Base64Url.Decode(certificate.Signature)));
        // Without the key, the setup leaves it for an Owner to certify later.
        Assert.Null(setup.Request.Organisation.AuditKeyCertificate);
    }

    [Fact]
    public void ReadAuditKey_MissingMalformedOrMisnamedKey_IsRefused()
    {
        using EcdsaP256PrivateKey audit = EcdsaP256.GenerateKey();
        using EcdsaP256PrivateKey other = EcdsaP256.GenerateKey();
        string spki = Base64Url.Encode(audit.PublicKey.Spki);
        SetupStatusResponse[] bad =
        [
            new(true),
            new(true, spki, other.PublicKey.Fingerprint.ToString()),
            new(true, spki + "A", audit.PublicKey.Fingerprint.ToString()),
            new(true, setup.Request.Owner.Keyset.EncryptionPublicKey,
                Fingerprint.FromSpki(Base64Url.Decode(setup.Request.Owner.Keyset.EncryptionPublicKey)).ToString()),
        ];
        Assert.All(bad, status => Assert.Throws<CofferProtocolException>(() => OrganisationSetup.ReadAuditKey(status)));
        // An RSA key is no audit key: refused before any key is made.
        Assert.Throws<ArgumentException>(() => OrganisationSetup.Create(SetupFixture.Details, SetupFixture.Password, SetupFixture.Token,
            SetupFixture.Clock, SetupFixture.Policy, SetupFixture.Iterations, Base64Url.Decode(setup.Request.Owner.Keyset.EncryptionPublicKey)));
    }
}
