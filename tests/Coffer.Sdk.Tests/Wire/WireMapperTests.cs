using Coffer.Contracts.Auth;
using Coffer.Contracts.Common;
using Coffer.Contracts.Keys;
using Coffer.Crypto.Kdf;
using Coffer.Crypto.Keys;
using Coffer.Crypto.Provenance;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Envelopes;
using Coffer.Protocol.Signatures;
using Coffer.Sdk.Errors;
using Coffer.Sdk.Tests.Support;
using Coffer.Sdk.Wire;

namespace Coffer.Sdk.Tests.Wire;

public class WireMapperTests(SetupFixture setup) : IClassFixture<SetupFixture>
{
    private string OrgId => setup.Account.OrgId;

    [Fact]
    public void Envelope_RoundTrips()
    {
        using EnvelopeKey key = EnvelopeKey.Generate("k");
        Envelope sealedValue = key.Seal("coffer/test", [1, 2, 3]);
        Envelope back = WireMapper.ToEnvelope(WireMapper.ToDto(sealedValue), "test");
        Assert.Equal([1, 2, 3], key.Open("coffer/test", back));
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAA", "iv")]     // padded IV
    [InlineData("AAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA", "IV")]       // 11-byte IV
    [InlineData("AAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAA", "tag")]       // 15 bytes of data
    [InlineData("AAAAAAAAAAAAAAAA", "AAAA+AAAAAAAAAAAAAAAAA", "data")]    // standard alphabet
    [InlineData("AAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAB", "data")]    // non-canonical trailing bits
    public void Envelope_Malformed_IsRefusedNamingTheFieldNotTheValue(string iv, string data, string named)
    {
        CofferProtocolException e = Assert.Throws<CofferProtocolException>(() =>
            WireMapper.ToEnvelope(new EnvelopeDto("k", Envelope.A256Gcm, iv, data), "keyset.sealedSymmetricKey"));
        Assert.Contains("keyset.sealedSymmetricKey", e.Message, StringComparison.Ordinal);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(data, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_OtherAlgorithmOrEmptyKid_IsRefused()
    {
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToEnvelope(new EnvelopeDto("k", "A128GCM", "AAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA"), "x"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToEnvelope(new EnvelopeDto("", "A256GCM", "AAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAA"), "x"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToEnvelope(null, "x"));
    }

    [Fact]
    public void Kdf_SaltNot16Bytes_IsRefused()
    {
        KdfParameters p = KdfParameters.CreateNew(1000);
        Assert.Equal(p.Salt, WireMapper.ToKdfParameters(WireMapper.ToDto(p)).Salt);
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToKdfParameters(new KdfDto(KdfPolicy.Algorithm, Base64Url.Encode(new byte[15]), 1000)));
    }

    [Fact]
    public void Keysets_Malformed_AreRefused()
    {
        KeysetDto member = setup.Request.Owner.Keyset;
        KeysetDto group = setup.Request.Groups[0].Keyset;
        Assert.Equal(member.KeysetId, WireMapper.ToMemberKeyset(member, "keyset").KeysetId);
        Assert.Equal(group.KeysetId, WireMapper.ToGroupKeyset(group, "group").KeysetId);
        // A member keyset without its sealed key, a group keyset with one.
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberKeyset(member with { SealedSymmetricKey = null }, "keyset"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToGroupKeyset(group with { SealedSymmetricKey = member.SealedSymmetricKey }, "group"));
        // Keys swapped between the RSA and ECDSA fields, an upper-case id, a serial of 0.
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberKeyset(member with { EncryptionPublicKey = member.SigningPublicKey }, "keyset"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberKeyset(member with { SigningPublicKey = member.EncryptionPublicKey }, "keyset"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberKeyset(member with { KeysetId = member.KeysetId.ToUpperInvariant() }, "keyset"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberKeyset(member with { Serial = 0 }, "keyset"));
    }

    [Fact]
    public void Certificates_RoundTripAndRefuseMalformedFields()
    {
        SubjectCertificateDto member = setup.Request.Owner.Certificate;
        MemberCertificate certificate = WireMapper.ToMemberCertificate(member, OrgId, "certificate");
        Assert.Equal(member, WireMapper.ToDto(certificate));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToGroupCertificate(member, OrgId, "certificate"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberCertificate(member with { Role = "admins" }, OrgId, "certificate"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberCertificate(member with { Signature = Base64Url.Encode(new byte[63]) }, OrgId, "certificate"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberCertificate(member with { IssuedAt = -1 }, OrgId, "certificate"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToMemberCertificate(member with { KeysetSerial = 1L << 31 }, OrgId, "certificate"));

        GroupKeysDto group = setup.Request.Groups[1];
        Assert.Equal(group.Certificate, WireMapper.ToDto(WireMapper.ToGroupCertificate(group.Certificate, OrgId, "group")));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToGroupCertificate(group.Certificate with { Role = "friends" }, OrgId, "group"));

        IssuerCertificateDto issuer = setup.Request.Owner.Issuer;
        Assert.Equal(issuer, WireMapper.ToDto(WireMapper.ToIssuerCertificate(issuer, OrgId, "issuer")));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToIssuerCertificate(issuer with { Role = "root" }, OrgId, "issuer"));

        OrganisationRootDto root = setup.Request.Organisation.Root;
        Assert.Equal(root, WireMapper.ToDto(WireMapper.ToOrganisationRoot(root)));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToOrganisationRoot(root with { AccountId = "abc234" }));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToOrganisationRoot(root with { PublicKey = member.EncryptionPublicKey }));
    }

    [Fact]
    public void Wraps_RoundTripAndRefuseMalformedFields()
    {
        SignedWrapDto wrap = setup.Request.Wraps[0];
        WireWrap wire = WireMapper.ToWireWrap(wrap, "wrap");
        Fingerprint recipient = Fingerprint.FromSpki(Base64Url.Decode(setup.Request.Owner.Keyset.EncryptionPublicKey));
        Assert.Equal(wrap, WireMapper.ToDto(wire.ToSignedWrap(recipient), wrap.RecipientKind, (int)wrap.RecipientKeysetSerial));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToWireWrap(wrap with { ObjectKind = "secret" }, "wrap"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToWireWrap(wrap with { RecipientKind = "device" }, "wrap"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToWireWrap(wrap with { Wrap = Base64Url.Encode(new byte[KeyWrap.WrappedLength - 1]) }, "wrap"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToWireWrap(wrap with { SignerId = "owner" }, "wrap"));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToWireWrap(wrap with { KeySerial = -1 }, "wrap"));
    }

    [Fact]
    public void RevocationList_RoundTripsAndRefusesMalformedEntries()
    {
        using EcdsaP256PrivateKey key = EcdsaP256.GenerateKey();
        RevocationList list = Signing.SignRevocationList(key, null, OrgId, 2, 1000,
            [new RevocationEntry(CertKinds.Member, setup.Account.MemberId, 1), new RevocationEntry(CertKinds.Issuer, setup.Request.Owner.Issuer.IssuerId, 0)]);
        RevocationListDto dto = WireMapper.ToDto(list);
        Assert.Equal(list.Record, WireMapper.ToRevocationList(dto, OrgId).Record);
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToRevocationList(dto with { Entries = ["member:x:1"] }, OrgId));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToRevocationList(dto with { Entries = [dto.Entries[0], dto.Entries[0]] }, OrgId));
        Assert.Throws<CofferProtocolException>(() => WireMapper.ToRevocationList(dto with { IssuerId = "ISSUER" }, OrgId));
    }
}
