using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Protocol.Encoding;
using Coffer.Protocol.Signatures;

namespace Coffer.Protocol.Tests.Signatures;

// PROTOCOL.md §5 (fingerprint); vectors in testdata/vectors/fingerprints.json, made with Node.js WebCrypto.
public class FingerprintTests
{
    public static TheoryData<string> Accepted() => Vectors("accept", "algorithm");

    public static TheoryData<int, string> Rejected()
    {
        using JsonDocument doc = TestData.Json("vectors", "fingerprints.json");
        TheoryData<int, string> data = [];
        int i = 0;
        foreach (JsonElement v in doc.RootElement.GetProperty("reject").EnumerateArray())
        {
            data.Add(i++, v.GetProperty("algorithm").GetString() + ": " + v.GetProperty("reason").GetString());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public void FromSpki_Section5Vector_MatchesAllForms(string algorithm)
    {
        JsonElement vector = Vector("accept", "algorithm", algorithm);
        byte[] spki = Base64Url.Decode(vector.GetProperty("spki").GetString()!);

        Assert.True(Fingerprint.TryFromSpki(spki, out Fingerprint fingerprint, out SpkiAlgorithm kind));
        Assert.Equal(algorithm.StartsWith("rsa", StringComparison.Ordinal) ? SpkiAlgorithm.Rsa : SpkiAlgorithm.EcP256, kind);
        Assert.Equal(Base64Url.Decode(vector.GetProperty("fingerprint").GetString()!), fingerprint.ToArray());
        Assert.Equal(vector.GetProperty("text").GetString(), fingerprint.ToString());
        Assert.Equal(vector.GetProperty("display").GetString(), fingerprint.ToDisplayString());
        Assert.Equal(fingerprint, Fingerprint.Parse(vector.GetProperty("text").GetString()!));
        Assert.Equal(fingerprint, Fingerprint.Parse(vector.GetProperty("display").GetString()!));
    }

    [Theory]
    [MemberData(nameof(Rejected))]
    public void FromSpki_NonCanonicalSection5Vector_IsRejected(int index, string reason)
    {
        Assert.NotEmpty(reason);
        using JsonDocument doc = TestData.Json("vectors", "fingerprints.json");
        JsonElement vector = doc.RootElement.GetProperty("reject")[index];
        byte[] spki = Base64Url.Decode(vector.GetProperty("spki").GetString()!);

        Assert.False(Fingerprint.TryFromSpki(spki, out Fingerprint fingerprint, out SpkiAlgorithm kind));
        Assert.True(fingerprint.IsDefault);
        Assert.Equal(SpkiAlgorithm.None, kind);
        Assert.Throws<ArgumentException>(() => Fingerprint.FromSpki(spki));
    }

    [Fact]
    public void FromSpki_FreshRsaAndEcKeys_IsSha256OfSpki()
    {
        using RSA rsa = RSA.Create(2048);
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (byte[] spki in new[] { rsa.ExportSubjectPublicKeyInfo(), ec.ExportSubjectPublicKeyInfo() })
        {
            Assert.Equal(SHA256.HashData(spki), Fingerprint.FromSpki(spki).ToArray());
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("3059")]
    [InlineData("300d06092a864886f70d0101010500")]
    public void TryFromSpki_Garbage_ReturnsFalse(string hex) =>
        Assert.False(Fingerprint.TryFromSpki(Convert.FromHexString(hex), out _, out _));

    [Fact]
    public void TryFromSpki_Ed25519Spki_ReturnsFalse()
    {
        // RFC 8410 §10.1 example SPKI: a well-formed key of an algorithm Coffer does not certify.
        byte[] ed25519 = Convert.FromHexString("302a300506032b657003210019bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1");
        Assert.False(Fingerprint.TryFromSpki(ed25519, out _, out _));
    }

    [Fact]
    public void Parse_LowerCaseText_Accepted()
    {
        Fingerprint fingerprint = Fingerprint.FromBytes(SHA256.HashData([1, 2, 3]));
        Assert.Equal(fingerprint, Fingerprint.Parse(fingerprint.ToString().ToLowerInvariant()));
        Assert.Equal(fingerprint, Fingerprint.Parse(fingerprint.ToDisplayString().ToLowerInvariant()));
    }

    [Fact]
    public void ToDisplayString_Any_IsThirteenGroupsOfFour()
    {
        string display = Fingerprint.FromBytes(SHA256.HashData([9])).ToDisplayString();
        string[] groups = display.Split(' ');

        Assert.Equal(Fingerprint.DisplayLength, display.Length);
        Assert.Equal(13, groups.Length);
        Assert.All(groups, g => Assert.Equal(4, g.Length));
    }

    [Fact]
    public void TryParse_MalformedForms_ReturnFalse()
    {
        string text = Fingerprint.FromBytes(SHA256.HashData([7])).ToString();
        string display = Fingerprint.FromBytes(SHA256.HashData([7])).ToDisplayString();
        string[] bad =
        [
            text[..51],
            text + "A",
            text + "====",
            display.Replace(" ", "-", StringComparison.Ordinal),
            " " + display[..^1],
            display.Replace(" ", "  ", StringComparison.Ordinal),
            text[..51] + "1",
            text[..51] + "B",  // 52nd character carries 4 trailing bits that must be zero when they are not
            string.Empty,
        ];
        foreach (string candidate in bad.Where(c => c != text))
        {
            Assert.False(Fingerprint.TryParse(candidate, out _), candidate);
        }
        Assert.False(Fingerprint.TryParse(null, out _));
        Assert.Throws<FormatException>(() => Fingerprint.Parse("nope"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void FromBytes_WrongLength_Throws(int length) =>
        Assert.Throws<ArgumentException>(() => Fingerprint.FromBytes(new byte[length]));

    [Fact]
    public void Default_HasNoBytes_AndIsRefusedByRecords()
    {
        Fingerprint none = default;
        Assert.True(none.IsDefault);
        Assert.Throws<InvalidOperationException>(() => none.ToArray());
        Assert.NotEqual(Fingerprint.FromBytes(new byte[32]), none);
    }

    private static TheoryData<string> Vectors(string list, string key)
    {
        using JsonDocument doc = TestData.Json("vectors", "fingerprints.json");
        return [.. doc.RootElement.GetProperty(list).EnumerateArray().Select(v => v.GetProperty(key).GetString()!)];
    }

    private static JsonElement Vector(string list, string key, string value)
    {
        using JsonDocument doc = TestData.Json("vectors", "fingerprints.json");
        return doc.RootElement.GetProperty(list).EnumerateArray().Single(v => v.GetProperty(key).GetString() == value).Clone();
    }
}
