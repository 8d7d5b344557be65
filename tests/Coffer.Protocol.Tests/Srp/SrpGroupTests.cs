using System.Security.Cryptography;
using System.Text.Json;
using Coffer.Protocol.Srp;

namespace Coffer.Protocol.Tests.Srp;

public class SrpGroupTests
{
    public static TheoryData<string> GroupSizes => new() { "1024", "2048", "3072", "4096" };

    private static SrpGroup GroupOf(string bits) => bits switch
    {
        "1024" => SrpGroup.Group1024,
        "2048" => SrpGroup.Group2048,
        "3072" => SrpGroup.Group3072,
        "4096" => SrpGroup.Group4096,
        _ => throw new ArgumentOutOfRangeException(nameof(bits)),
    };

    // RFC 5054 Appendix A, as transcribed in testdata/vectors/srp-groups.json.
    [Theory]
    [MemberData(nameof(GroupSizes))]
    public void Group_Rfc5054AppendixA_MatchesVectors(string bits)
    {
        using JsonDocument doc = TestData.Json("vectors", "srp-groups.json");
        JsonElement expected = doc.RootElement.GetProperty(bits);
        SrpGroup group = GroupOf(bits);

        Assert.Equal(TestData.Hex(expected.GetProperty("N").GetString()!), group.Prime.ToArray());
        Assert.Equal(expected.GetProperty("g_int").GetInt32(), group.Generator);
        Assert.Equal(TestData.Hex(expected.GetProperty("g").GetString()!), group.GeneratorBytes.ToArray());
        Assert.Equal(expected.GetProperty("N_bits").GetInt32(), group.Bits);
        Assert.Equal(expected.GetProperty("N_bits").GetInt32() / 8, group.PaddedLength);
        Assert.NotEqual(0, group.Prime[0]); // minimal encoding is also the padded one
        Assert.Equal(group.PaddedLength, group.PaddedGenerator.Length);
        Assert.Equal(group.Generator, group.PaddedGenerator[^1]);
        Assert.False(group.PaddedGenerator[..^1].ContainsAnyExcept((byte)0));
    }

    [Fact]
    public void Coffer_Parameters_Are4096BitGroupWithSha256()
    {
        SrpParameters coffer = SrpParameters.Coffer;
        Assert.Same(SrpGroup.Group4096, coffer.Group);
        Assert.Equal(HashAlgorithmName.SHA256, coffer.Hash);
        Assert.Equal(32, coffer.HashLength);
        Assert.Equal(512, coffer.Group.PaddedLength);
        Assert.Equal(5, coffer.Group.Generator);
    }

    [Fact]
    public void Multiplier_CofferParameters_IsHashOfNAndPaddedG()
    {
        SrpGroup group = SrpGroup.Group4096;
        byte[] paddedG = new byte[512];
        paddedG[^1] = 5;
        byte[] expected = SHA256.HashData([.. group.Prime, .. paddedG]);
        Assert.Equal(expected, SrpParameters.Coffer.Multiplier.ToArray());
    }

    [Fact]
    public void GroupHash_CofferParameters_IsHashOfNXorHashOfUnpaddedG()
    {
        byte[] hn = SHA256.HashData(SrpGroup.Group4096.Prime);
        byte[] hg = SHA256.HashData([5]);
        byte[] expected = [.. hn.Zip(hg, (p, q) => (byte)(p ^ q))];
        Assert.Equal(expected, SrpParameters.Coffer.GroupHash.ToArray());
    }

    [Fact]
    public void Constructor_UnsupportedHash_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SrpParameters(SrpGroup.Group4096, HashAlgorithmName.MD5));
        Assert.Throws<ArgumentException>(() => new SrpParameters(SrpGroup.Group4096, default));
        Assert.Throws<ArgumentNullException>(() => new SrpParameters(null!, HashAlgorithmName.SHA256));
    }
}
