using System.Security.Cryptography;
using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Tests.Signatures;

// PROTOCOL.md §5.2 field rules: one encoding per value, so malformed values throw at construction.
public class TbsRecordTests
{
    private const string Org = "019b76da-a801-7389-9d58-71c52416991f";
    private const string Member = "019b76da-a805-7450-96e5-6b74bb935c2e";
    private const string Issuer = "019b76da-a804-7000-8000-000000000004";
    private static readonly Fingerprint Fpr = Fingerprint.FromBytes(SHA256.HashData([1]));
    private static readonly Sha256Hash Hash = Sha256Hash.Of([2]);

    [Fact]
    public void ToBeSigned_Checkpoint_IsTagThenLengthPrefixedFields()
    {
        // §5.2 by hand: "coffer/sig/checkpoint/v1" || len16(orgId) || len16("1000") || len16(32 bytes) || len16("0").
        CheckpointTbs record = new(Org, 1000, Hash, 0);
        byte[] expected =
        [
            .. "coffer/sig/checkpoint/v1"u8,
            0, 36, .. System.Text.Encoding.ASCII.GetBytes(Org),
            0, 4, .. "1000"u8,
            0, 32, .. Hash.AsSpan(),
            0, 1, .. "0"u8,
        ];

        Assert.Equal(expected, record.ToBeSigned());
        Assert.Equal("coffer/sig/checkpoint/v1", record.Tag);
    }

    [Fact]
    public void ToBeSigned_AuditKey_IsTagThenOrgFingerprintIssuedAt()
    {
        // docs/adr/0016 by hand: "coffer/sig/audit-key/v1" || len16(orgId) || len16(32 bytes) || len16("1767225609500").
        AuditKeyTbs record = new(Org, Fpr, 1767225609500);
        byte[] expected =
        [
            .. "coffer/sig/audit-key/v1"u8,
            0, 36, .. System.Text.Encoding.ASCII.GetBytes(Org),
            0, 32, .. Fpr.AsSpan(),
            0, 13, .. "1767225609500"u8,
        ];

        Assert.Equal(expected, record.ToBeSigned());
        Assert.Throws<ArgumentException>(() => new AuditKeyTbs(Org, default, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AuditKeyTbs(Org, Fpr, -1));
    }

    [Fact]
    public void Sign_AuditKey_NeverVerifiesAsAnotherRootSignedType()
    {
        // docs/adr/0016: a type of its own, so the root's signature over an audit key is no issuer certificate or root rotation.
        using EcdsaP256PrivateKey root = EcdsaP256.GenerateKey();
        AuditKeyTbs record = new(Org, Fpr, 5);
        byte[] signature = record.Sign(root);

        Assert.True(record.Verify(root.PublicKey, signature));
        Assert.False(new AuditKeyTbs(Org, Fpr, 6).Verify(root.PublicKey, signature));
        Assert.False(new RootRotationTbs(Org, Fpr, Fpr, 5).Verify(root.PublicKey, signature));
        Assert.False(new OrgRootTbs(Org, "ABC234", Fpr, 5).Verify(root.PublicKey, signature));
    }

    [Theory]
    [InlineData("019B76DA-A801-7389-9D58-71C52416991F")]
    [InlineData("019b76da-a801-7389-9d58-71c52416991F")]
    [InlineData("{019b76da-a801-7389-9d58-71c52416991f}")]
    [InlineData("019b76daa80173899d5871c52416991f")]
    [InlineData("019b76da-a801-7389-9d58-71c52416991")]
    [InlineData("019b76da_a801-7389-9d58-71c52416991f")]
    [InlineData("")]
    public void Constructor_NonCanonicalId_Throws(string id)
    {
        Assert.Throws<ArgumentException>(() => new CheckpointTbs(id, 1, Hash, 1));
        Assert.Throws<ArgumentException>(() => new MemberCertTbs(Org, id, BaseGroups.Guests, Fpr, Fpr, Org, 1, Issuer, 1));
        Assert.Throws<ArgumentException>(() => new RevocationEntry(CertKinds.Member, id, 1));
    }

    [Fact]
    public void Constructor_NullId_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new CheckpointTbs(null!, 1, Hash, 1));

    [Theory]
    [InlineData("Admin")]
    [InlineData("ADMIN")]
    [InlineData("admin ")]
    [InlineData("administrator")]
    [InlineData("")]
    public void Issuer_RoleOutsideSet_Throws(string role) =>
        Assert.Throws<ArgumentException>(() => new IssuerTbs(Org, Issuer, role, Member, Fpr, 1, 2));

    [Theory]
    [InlineData("Team_Members")]
    [InlineData("owners")]
    public void MemberCert_BaseGroupOutsideSet_Throws(string baseGroup) =>
        Assert.Throws<ArgumentException>(() => new MemberCertTbs(Org, Member, baseGroup, Fpr, Fpr, Org, 1, Issuer, 1));

    [Theory]
    [InlineData("Vault")]
    [InlineData("member")]
    public void Wrap_ObjectKindOutsideSet_Throws(string kind) =>
        Assert.Throws<ArgumentException>(() => new WrapTbs(kind, Org, 1, Member, Fpr, Hash, Member));

    [Theory]
    [InlineData("Custom")]
    [InlineData("admins")]
    public void GroupCert_GroupKindOutsideSet_Throws(string kind) =>
        Assert.Throws<ArgumentException>(() => new GroupCertTbs(Org, Member, kind, Fpr, Fpr, Org, 1, Issuer, 1));

    [Theory]
    [InlineData("Web_signing")]
    [InlineData("9lives")]
    [InlineData("web signing")]
    [InlineData("")]
    public void Policy_MalformedKind_Throws(string kind) =>
        Assert.Throws<ArgumentException>(() => new PolicyTbs(Org, kind, 1, Hash, 1));

    [Fact]
    public void Policy_LongestKind_IsAccepted()
    {
        Assert.Equal(64, new PolicyTbs(Org, new string('a', 64), 1, Hash, 1).PolicyKind.Length);
        Assert.Throws<ArgumentException>(() => new PolicyTbs(Org, new string('a', 65), 1, Hash, 1));
    }

    [Fact]
    public void Constructor_NegativeNumber_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CheckpointTbs(Org, -1, Hash, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecoveryRequestTbs(Org, Member, Member, Issuer, -5));
    }

    [Fact]
    public void ToBeSigned_Numbers_AreDecimalWithoutLeadingZeros()
    {
        List<string> fields = SignatureVectorTests.SplitFields(
            new RecoveryRequestTbs(Org, Member, Member, Issuer, long.MaxValue).ToBeSigned(), "coffer/sig/recovery-request/v1");
        Assert.Equal("9223372036854775807", fields[4]);
        fields = SignatureVectorTests.SplitFields(new CheckpointTbs(Org, 0, Hash, 7).ToBeSigned(), "coffer/sig/checkpoint/v1");
        Assert.Equal("0", fields[1]);
        Assert.Equal("7", fields[3]);
    }

    [Fact]
    public void Constructor_DefaultFingerprintOrHash_Throws()
    {
        Assert.Throws<ArgumentException>(() => new OrgRootTbs(Org, "ABC234", default, 1));
        Assert.Throws<ArgumentException>(() => new RecoveryApprovalTbs(Org, Member, Member, Fpr, default, Issuer, 1));
        Assert.Throws<ArgumentException>(() => new WrapTbs(WrapObjectKinds.Item, Org, 1, Member, Fpr, default, Member));
    }

    [Theory]
    [InlineData("abc234")]                                 // account ids are upper case, as in the Secret Key
    [InlineData("ABC23")]
    [InlineData("ABC2340")]
    [InlineData("ABC23O")]                                 // O is not in the alphabet
    [InlineData("0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b")]   // a member id is not an account id
    public void OrgRoot_AccountIdOutsideSecretKeyAlphabet_Throws(string accountId) =>
        Assert.Throws<ArgumentException>(() => new OrgRootTbs(Org, accountId, Fpr, 1));

    [Fact]
    public void OrgRoot_AccountId_IsEncodedAsItsAscii()
    {
        List<string> fields = SignatureVectorTests.SplitFields(new OrgRootTbs(Org, "ABC234", Fpr, 1).ToBeSigned(), "coffer/sig/org-root/v1");
        Assert.Equal("ABC234", fields[1]);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(0)]
    public void Hash_WrongLength_Throws(int length) =>
        Assert.Throws<ArgumentException>(() => Sha256Hash.FromBytes(new byte[length]));

    [Fact]
    public void Records_SameFields_AreEqualAndSignTheSameBytes()
    {
        MemberCertTbs a = new(Org, Member, BaseGroups.TeamMembers, Fpr, Fingerprint.FromBytes(Fpr.AsSpan()), Org, 1, Issuer, 5);
        MemberCertTbs b = new(Org, Member, BaseGroups.TeamMembers, Fpr, Fpr, Org, 1, Issuer, 5);
        MemberCertTbs c = new(Org, Member, BaseGroups.Guests, Fpr, Fpr, Org, 1, Issuer, 5);

        Assert.Equal(a, b);
        Assert.Equal(a.ToBeSigned(), b.ToBeSigned());
        Assert.NotEqual(a, c);
        Assert.NotEqual(a.ToBeSigned(), c.ToBeSigned());
    }

    [Fact]
    public void Sign_Record_VerifiesOnlyForThatRecord()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        CountersignTbs record = new(Org, 10, Hash, Member, 99);
        byte[] signature = record.Sign(key);

        Assert.True(record.Verify(key.PublicKey, signature));
        Assert.False(new CountersignTbs(Org, 11, Hash, Member, 99).Verify(key.PublicKey, signature));
        // The same fields under another type's tag never verify: the tag separates the types.
        Assert.False(new CheckpointTbs(Org, 10, Hash, 99).Verify(key.PublicKey, signature));
    }

    [Fact]
    public void RevocationEntry_Parse_IsExact()
    {
        RevocationEntry entry = RevocationEntry.Parse($"member:{Member}:12");
        Assert.Equal(new RevocationEntry(CertKinds.Member, Member, 12), entry);
        Assert.Equal($"member:{Member}:12", entry.ToFieldText());

        string[] bad =
        [
            $"member:{Member}:012", $"member:{Member}:+1", $"member:{Member}:-1", $"member:{Member}:", $"Member:{Member}:1",
            $"root:{Member}:1", $"member:{Member}:1:2", $"member:{Member.ToUpperInvariant()}:1", $"member: {Member}:1",
            $"issuer:{Member}:1", $"member:{Member}:99999999999999999999", "member", string.Empty,
        ];
        foreach (string text in bad)
        {
            Assert.Throws<FormatException>(() => RevocationEntry.Parse(text));
        }
    }

    [Fact]
    public void RevocationEntry_IssuerWithSerial_Throws()
    {
        Assert.Throws<ArgumentException>(() => new RevocationEntry(CertKinds.Issuer, Issuer, 1));
        Assert.Equal(0, new RevocationEntry(CertKinds.Issuer, Issuer, 0).KeysetSerial);
    }

    [Fact]
    public void Revocation_RepeatedOrNullEntry_Throws()
    {
        RevocationEntry entry = new(CertKinds.Group, Member, 3);
        Assert.Throws<ArgumentException>(() => new RevocationTbs(Org, 1, 1, [entry, new RevocationEntry(CertKinds.Group, Member, 3)]));
        Assert.Throws<ArgumentException>(() => new RevocationTbs(Org, 1, 1, [entry, null!]));
    }

    [Fact]
    public void Revocation_EmptyList_WritesCountZero()
    {
        RevocationTbs record = new(Org, 1, 2, []);
        List<string> fields = SignatureVectorTests.SplitFields(record.ToBeSigned(), "coffer/sig/revocation/v1");
        Assert.Equal([Org, "1", "2", "0"], fields);
    }

    [Fact]
    public void Revocation_SameEntries_AreEqual()
    {
        RevocationTbs a = new(Org, 1, 2, [new RevocationEntry(CertKinds.Member, Member, 1)]);
        RevocationTbs b = new(Org, 1, 2, [new RevocationEntry(CertKinds.Member, Member, 1)]);
        RevocationTbs c = new(Org, 1, 2, [new RevocationEntry(CertKinds.Member, Member, 2)]);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TbsWriter_FieldOver65535Bytes_Throws()
    {
        TbsWriter writer = new("coffer/sig/test/v1");
        writer.Bytes(new byte[ushort.MaxValue]);
        Assert.Throws<ArgumentException>(() => writer.Bytes(new byte[ushort.MaxValue + 1]));
        Assert.Throws<ArgumentException>(() => writer.Text("café"));
    }
}
