using System.Text.Json;
using Coffer.Crypto.Accounts;
using Coffer.Crypto.Kdf;

namespace Coffer.Crypto.Tests.Kdf;

public class TwoSecretKeyDerivationTests
{
    private static readonly KdfPolicy LowFloor = KdfPolicy.ForTesting(1000);

    public static TheoryData<string> VectorNames()
    {
        TheoryData<string> names = [];
        using JsonDocument doc = TestData.Json("vectors", "coffer-2skd.json");
        foreach (JsonElement v in doc.RootElement.GetProperty("vectors").EnumerateArray())
        {
            names.Add(v.GetProperty("name").GetString()!);
        }
        return names;
    }

    // Our own vectors (testdata/vectors/coffer-2skd.json), computed by Node.js WebCrypto.
    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Derive_CofferVector_MatchesNodeComputation(string name)
    {
        using JsonDocument doc = TestData.Json("vectors", "coffer-2skd.json");
        JsonElement v = doc.RootElement.GetProperty("vectors").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == name);
        string password = v.GetProperty("password").GetString()!;
        using SecretKey sk = SecretKey.Parse(v.GetProperty("secretKey").GetString());
        KdfParameters kdf = new(KdfPolicy.Algorithm, TestData.Hex(v.GetProperty("salt").GetString()!), v.GetProperty("iterations").GetInt32());

        Assert.Equal(v.GetProperty("preprocessed").GetString(), Convert.ToHexStringLower(AccountPassword.Preprocess(password)));
        using DerivedAccountKeys keys = TwoSecretKeyDerivation.Derive(password, sk, v.GetProperty("memberId").GetString()!, kdf, LowFloor);
        Assert.Equal(v.GetProperty("auk").GetString(), Convert.ToHexStringLower(keys.AukBytes));
        Assert.Equal(v.GetProperty("srpX").GetString(), Convert.ToHexStringLower(keys.SrpX));
    }

    [Fact]
    public void NodeImplementation_AgreesWithCommittedVectors() =>
        NodeScript.RunAndAssertSuccess(Path.Combine("kdf", "coffer-2skd.mjs"));

    [Fact]
    public void Vectors_CoverTheEdgeCasesOfSection1()
    {
        using JsonDocument doc = TestData.Json("vectors", "coffer-2skd.json");
        Dictionary<string, JsonElement> byName = doc.RootElement.GetProperty("vectors").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!);
        // Decomposed and precomposed spellings derive the same keys; another member id does not.
        Assert.Equal(byName["precomposed"].GetProperty("auk").GetString(), byName["decomposed-equals-precomposed"].GetProperty("auk").GetString());
        Assert.Equal(byName["ascii"].GetProperty("auk").GetString(), byName["secret-key-typed-loosely"].GetProperty("auk").GetString());
        Assert.NotEqual(byName["ascii"].GetProperty("auk").GetString(), byName["other-member-id"].GetProperty("auk").GetString());
        Assert.Contains(byName.Values, e => e.GetProperty("iterations").GetInt32() == KdfPolicy.MinimumIterations);
    }

    [Fact]
    public void Derive_OutputsDependOnEverySecret()
    {
        KdfParameters kdf = new(KdfPolicy.Algorithm, new byte[16], 1000);
        const string member = "0190a1b2-c3d4-7e5f-8a6b-1c2d3e4f5a6b";
        using SecretKey sk1 = SecretKey.Parse("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23456");
        using SecretKey sk2 = SecretKey.Parse("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23457");
        using DerivedAccountKeys a = TwoSecretKeyDerivation.Derive("password one", sk1, member, kdf, LowFloor);
        using DerivedAccountKeys b = TwoSecretKeyDerivation.Derive("password two", sk1, member, kdf, LowFloor);
        using DerivedAccountKeys c = TwoSecretKeyDerivation.Derive("password one", sk2, member, kdf, LowFloor);
        Assert.False(a.AukBytes.SequenceEqual(b.AukBytes));
        Assert.False(a.AukBytes.SequenceEqual(c.AukBytes));
        Assert.False(a.SrpX.SequenceEqual(a.AukBytes));
        Assert.False(a.SrpX.SequenceEqual(c.SrpX));
    }

    [Theory]
    [InlineData("coffer/2skd/v1", 649_999, null)]
    [InlineData("coffer/2skd/v1", 1000, null)]
    [InlineData("coffer/2skd/v2", 650_000, null)]
    [InlineData("pbkdf2", 650_000, null)]
    [InlineData("coffer/2skd/v1", 700_000, 700_001)]
    [InlineData("coffer/2skd/v1", 100_000_001, null)]
    public void DefaultPolicy_RefusesWhatTheServerMustNotLower(string alg, int iterations, int? lastUsed)
    {
        Assert.NotNull(KdfPolicy.Default.Check(alg, iterations, lastUsed));
        using SecretKey sk = SecretKey.Parse("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23456");
        Assert.Throws<ArgumentException>(() =>
            TwoSecretKeyDerivation.Derive("p", sk, "m", new KdfParameters(alg, new byte[16], iterations), null, lastUsed));
    }

    [Theory]
    [InlineData(650_000, null)]
    [InlineData(650_000, 650_000)]
    [InlineData(900_000, 700_000)]
    public void DefaultPolicy_AcceptsFloorAndIncreases(int iterations, int? lastUsed) =>
        Assert.Null(KdfPolicy.Default.Check(KdfPolicy.Algorithm, iterations, lastUsed));

    [Fact]
    public void TestingPolicy_StillRefusesLoweringBelowLastUsed() =>
        Assert.NotNull(LowFloor.Check(KdfPolicy.Algorithm, 1000, 2000));

    [Fact]
    public void Derive_WrongSaltLength_Throws()
    {
        using SecretKey sk = SecretKey.Parse("C1-ABC234-DEFGH5-JKLMN-PQRST-VWXYZ-23456");
        Assert.Throws<ArgumentException>(() =>
            TwoSecretKeyDerivation.Derive("p", sk, "m", new KdfParameters(KdfPolicy.Algorithm, new byte[15], 1000), LowFloor));
    }
}
