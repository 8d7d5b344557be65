using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Crypto.Generators;

namespace Coffer.Crypto.Tests.Generators;

public class ShortAuthenticationStringTests
{
    public static TheoryData<int> VectorCases() => [0, 1, 2, 3, 4, 5];

    // testdata/vectors/coffer-sas.json: Coffer's own vectors for PROTOCOL.md §5.1 with the mapping of
    // docs/adr/0002 (computed with Python; also checked by tests/node/check-sas.mjs).
    [Theory]
    [MemberData(nameof(VectorCases))]
    public void Compute_CofferSasVectors_MatchHashIndicesAndWords(int index)
    {
        using JsonDocument doc = TestData.Json("vectors", "coffer-sas.json");
        JsonElement root = doc.RootElement;
        Assert.Equal(ShortAuthenticationString.Context, root.GetProperty("context").GetString());
        JsonElement c = root.GetProperty("cases")[index];
        byte[] org = TestData.Hex(c.GetProperty("orgFpr").GetString()!);
        string memberId = c.GetProperty("memberId").GetString()!;
        byte[] enc = TestData.Hex(c.GetProperty("encFpr").GetString()!);
        byte[] sig = TestData.Hex(c.GetProperty("sigFpr").GetString()!);

        byte[] input = [.. "coffer/sas/v1"u8, .. org, .. System.Text.Encoding.ASCII.GetBytes(memberId), .. enc, .. sig];
        Assert.Equal(c.GetProperty("input_len").GetInt32(), input.Length);
        byte[] hash = SHA256.HashData(input);
        Assert.Equal(c.GetProperty("sha256").GetString(), Convert.ToHexStringLower(hash));
        Assert.Equal(c.GetProperty("indices").EnumerateArray().Select(e => e.GetInt32()), ShortAuthenticationString.Indices(hash));

        IReadOnlyList<string> words = ShortAuthenticationString.Compute(org, memberId, enc, sig);
        Assert.Equal(c.GetProperty("words").EnumerateArray().Select(e => e.GetString()!), words);
        Assert.Equal(c.GetProperty("display").GetString(), ShortAuthenticationString.Format(words));
    }

    // The same vectors, recomputed by Node.js WebCrypto and BigInt (an independent implementation).
    [Fact]
    public void CheckSasScript_CofferSasVectors_AgreeUnderWebCrypto()
    {
        string output = NodeScript.RunAndAssertSuccess("check-sas.mjs");
        Assert.Contains("6 cases match", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Indices_ZeroAndSmallHashes_AreBase7776DigitsLeastSignificantFirst()
    {
        byte[] hash = new byte[32];
        Assert.Equal([0, 0, 0, 0, 0, 0], ShortAuthenticationString.Indices(hash));
        // n = 7776 + 5 → digits 5, 1, 0, …
        hash[30] = (7781 >> 8) & 0xFF;
        hash[31] = 7781 & 0xFF;
        Assert.Equal([5, 1, 0, 0, 0, 0], ShortAuthenticationString.Indices(hash));
        Assert.Equal("abandoned abandoned abandoned abandoned abandoned abandoned", ShortAuthenticationString.Format(ShortAuthenticationString.WordsFromHash(new byte[32])));
    }

    [Fact]
    public void Compute_AnyInputChanged_ChangesTheWords()
    {
        byte[] org = SHA256.HashData("org"u8), enc = SHA256.HashData("enc"u8), sig = SHA256.HashData("sig"u8);
        const string Member = "01936f1e-8b2a-7c3d-9e4f-a0b1c2d3e4f5";
        string baseline = ShortAuthenticationString.Format(ShortAuthenticationString.Compute(org, Member, enc, sig));
        Assert.Equal(baseline, ShortAuthenticationString.Format(ShortAuthenticationString.Compute(org, Member, enc, sig)));
        for (int field = 0; field < 3; field++)
        {
            byte[][] fprs = [(byte[])org.Clone(), (byte[])enc.Clone(), (byte[])sig.Clone()];
            fprs[field][31] ^= 1;
            Assert.NotEqual(baseline, ShortAuthenticationString.Format(ShortAuthenticationString.Compute(fprs[0], Member, fprs[1], fprs[2])));
        }
        Assert.NotEqual(baseline, ShortAuthenticationString.Format(ShortAuthenticationString.Compute(org, Member[..^1] + "6", enc, sig)));
        Assert.NotEqual(baseline, ShortAuthenticationString.Format(ShortAuthenticationString.Compute(org, Member, sig, enc)));
    }

    [Fact]
    public void Compute_Misuse_Throws()
    {
        byte[] good = new byte[32];
        Assert.Throws<ArgumentException>(() => ShortAuthenticationString.Compute(new byte[31], "m", good, good));
        Assert.Throws<ArgumentException>(() => ShortAuthenticationString.Compute(good, "m", new byte[33], good));
        Assert.Throws<ArgumentException>(() => ShortAuthenticationString.Compute(good, "m", good, []));
        Assert.Throws<ArgumentException>(() => ShortAuthenticationString.Compute(good, "", good, good));
        Assert.Throws<ArgumentNullException>(() => ShortAuthenticationString.Compute(good, null!, good, good));
        Assert.Throws<ArgumentException>(() => ShortAuthenticationString.Compute(good, "mémber", good, good));
        Assert.Throws<ArgumentException>(() => ShortAuthenticationString.Compute(good, "a b", good, good));
        Assert.Throws<ArgumentException>(() => ShortAuthenticationString.Format(["one", "two"]));
    }
}
