using System.Text.Json;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Tests.Signatures;

// Known answers: testdata/vectors/signatures.json (PROTOCOL.md §5.2, and audit-key of docs/adr/0016), made with Node.js WebCrypto.
public class SignatureVectorTests
{
    private static readonly string[] AllTypes =
    [
        "org-root", "root-rotation", "issuer", "member-cert", "group-cert", "wrap", "revocation", "policy",
        "recovery-request", "recovery-approval", "checkpoint", "countersign", "audit-key",
    ];

    public static TheoryData<string> Types() => [.. AllTypes];

    [Fact]
    public void Vectors_Section52_OnePerType()
    {
        using JsonDocument doc = TestData.Json("vectors", "signatures.json");
        string[] types = [.. doc.RootElement.GetProperty("vectors").EnumerateArray().Select(v => v.GetProperty("type").GetString()!)];
        Assert.Equal(AllTypes.Order(StringComparer.Ordinal), types.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void ToBeSigned_Section52Vector_MatchesNodeTbs(string type)
    {
        using JsonDocument doc = TestData.Json("vectors", "signatures.json");
        JsonElement vector = Find(doc, type);
        TbsRecord record = VectorFields.ToRecord(type, vector.GetProperty("fields"));

        Assert.Equal(type, record.Type);
        Assert.Equal(vector.GetProperty("tbs").GetString(), Convert.ToHexStringLower(record.ToBeSigned()));
        Assert.StartsWith("coffer/sig/" + type + "/v1", System.Text.Encoding.ASCII.GetString(record.ToBeSigned()), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Verify_Section52VectorSignature_IsValid(string type)
    {
        using JsonDocument doc = TestData.Json("vectors", "signatures.json");
        JsonElement vector = Find(doc, type);
        TbsRecord record = VectorFields.ToRecord(type, vector.GetProperty("fields"));
        byte[] spki = Base64Url.Decode(vector.GetProperty("spki").GetString()!);
        byte[] signature = Base64Url.Decode(vector.GetProperty("signature").GetString()!);

        using EcdsaP256PublicKey key = EcdsaP256.ImportPublicKey(spki);
        Assert.True(record.Verify(key, signature));
        Assert.True(EcdsaP256.Verify(spki, record.ToBeSigned(), signature));
    }

    [Fact]
    public void OrgRoot_Section52Vector_NamesTheSigningKeysFingerprint()
    {
        using JsonDocument doc = TestData.Json("vectors", "signatures.json");
        JsonElement vector = Find(doc, "org-root");
        OrgRootTbs record = (OrgRootTbs)VectorFields.ToRecord("org-root", vector.GetProperty("fields"));
        byte[] spki = Base64Url.Decode(vector.GetProperty("spki").GetString()!);

        Assert.Equal(Fingerprint.FromSpki(spki), record.RootFpr);
    }

    [Fact]
    public void Revocation_Section52Vector_WritesCountThenEntries()
    {
        using JsonDocument doc = TestData.Json("vectors", "signatures.json");
        RevocationTbs record = (RevocationTbs)VectorFields.ToRecord("revocation", Find(doc, "revocation").GetProperty("fields"));
        byte[] tbs = record.ToBeSigned();

        List<string> fields = SplitFields(tbs, "coffer/sig/revocation/v1");
        Assert.Equal(3 + 1 + record.Entries.Count, fields.Count);
        Assert.Equal("3", fields[3]);
        Assert.Equal(record.Entries.Select(e => e.ToFieldText()), fields.Skip(4));
    }

    internal static JsonElement Find(JsonDocument doc, string type) =>
        doc.RootElement.GetProperty("vectors").EnumerateArray().Single(v => v.GetProperty("type").GetString() == type);

    // Splits tag || len16(f)... back into ASCII fields, checking the lengths add up exactly.
    internal static List<string> SplitFields(byte[] tbs, string tag)
    {
        Assert.Equal(tag, System.Text.Encoding.ASCII.GetString(tbs, 0, tag.Length));
        List<string> fields = [];
        int i = tag.Length;
        while (i < tbs.Length)
        {
            int length = (tbs[i] << 8) | tbs[i + 1];
            fields.Add(System.Text.Encoding.Latin1.GetString(tbs, i + 2, length));
            i += 2 + length;
        }
        Assert.Equal(tbs.Length, i);
        return fields;
    }
}
