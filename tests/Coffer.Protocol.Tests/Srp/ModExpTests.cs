using System.Security.Cryptography;
using Coffer.Protocol.Srp;

namespace Coffer.Protocol.Tests.Srp;

/// <summary>libcrypto's BN_mod_exp_mont_consttime against BigInteger.ModPow (PROTOCOL.md §3).</summary>
public class ModExpTests
{
    [Fact]
    public void Instance_OnThisMachine_LoadsAKnownSoname()
    {
        Assert.Contains(LibCrypto.Instance.Name, new[] { "libcrypto.so.3", "libcrypto.so.1.1" });
    }

    [Fact]
    public void ModExp_RandomPairsIn4096BitGroup_MatchesBigInteger()
    {
        byte[] n = SrpGroup.Group4096.Prime.ToArray();
        // Exponent sizes Coffer uses (x, a, b: 32 bytes; a + u·x: ~64) and full-size ones.
        int[] exponentLengths = [1, 2, 8, 31, 32, 33, 64, 65, 128, 255, 256, 511, 512];
        for (int i = 0; i < 3 * exponentLengths.Length; i++)
        {
            byte[] b = RandomNumberGenerator.GetBytes(512);
            byte[] e = RandomNumberGenerator.GetBytes(exponentLengths[i % exponentLengths.Length]);
            AssertSame(b, e, n);
        }
    }

    [Fact]
    public void ModExp_RandomPairsInEveryGroup_MatchesBigInteger()
    {
        foreach (SrpGroup group in new[] { SrpGroup.Group1024, SrpGroup.Group2048, SrpGroup.Group3072 })
        {
            for (int i = 0; i < 8; i++)
            {
                byte[] b = RandomNumberGenerator.GetBytes(group.PaddedLength);
                byte[] e = RandomNumberGenerator.GetBytes(1 + (i * 37 % group.PaddedLength));
                AssertSame(b, e, group.Prime.ToArray());
            }
        }
    }

    public static TheoryData<string, string> EdgeCases()
    {
        string n = Convert.ToHexString(SrpGroup.Group4096.Prime);
        string nMinus1 = Convert.ToHexString(Offset(SrpGroup.Group4096.Prime, -1));
        string nPlus1 = Convert.ToHexString(Offset(SrpGroup.Group4096.Prime, 1));
        string allOnes = new('F', 1024); // 2^4096 − 1 > N: BN reduces the base first
        // Fixed rather than random: theory data must be the same at discovery and at execution.
        string random = Convert.ToHexString([.. Enumerable.Range(0, 8).SelectMany(i => SHA512.HashData([(byte)i]))]);
        TheoryData<string, string> data = [];
        foreach (string b in new[] { "", "00", "01", "02", "05", nMinus1, n, nPlus1, allOnes, random })
        {
            foreach (string e in new[] { "", "00", "01", "02", "0000000001", nMinus1, n, random })
            {
                data.Add(b, e);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void ModExp_EdgeCases_MatchesBigInteger(string baseHex, string exponentHex)
    {
        AssertSame(Convert.FromHexString(baseHex), Convert.FromHexString(exponentHex), SrpGroup.Group4096.Prime.ToArray());
    }

    [Fact]
    public void ModExp_KnownValues_AreRight()
    {
        byte[] n = SrpGroup.Group4096.Prime.ToArray();
        byte[] r = new byte[512];

        SrpMath.ModExp([7], [], n, r); // x^0 = 1
        Assert.Equal(1, r[^1]);
        Assert.False(r[..^1].AsSpan().ContainsAnyExcept((byte)0));

        SrpMath.ModExp(Offset(n, -1), [2], n, r); // (−1)^2 = 1
        Assert.Equal(1, r[^1]);
        Assert.False(r[..^1].AsSpan().ContainsAnyExcept((byte)0));

        SrpMath.ModExp(Offset(n, -1), [3], n, r); // (−1)^3 = N − 1
        Assert.Equal(Offset(n, -1), r);

        SrpMath.ModExp([5], Offset(n, -1), n, r); // Fermat: g^(N−1) = 1
        Assert.Equal(1, r[^1]);
        Assert.False(r[..^1].AsSpan().ContainsAnyExcept((byte)0));
    }

    private static void AssertSame(byte[] b, byte[] e, byte[] n)
    {
        byte[] expected = new byte[n.Length];
        byte[] actual = new byte[n.Length];
        ManagedModExp.ModPow(b, e, n, expected);
        SrpMath.ModExp(b, e, n, actual);
        Assert.True(
            expected.AsSpan().SequenceEqual(actual),
            $"modexp mismatch for base {Convert.ToHexString(b)} exponent {Convert.ToHexString(e)} modulus {n.Length * 8} bits");
    }

    // n + delta for a small delta, as big-endian bytes of the same length (or one longer on overflow).
    private static byte[] Offset(ReadOnlySpan<byte> n, int delta)
    {
        System.Numerics.BigInteger v = new System.Numerics.BigInteger(n, isUnsigned: true, isBigEndian: true) + delta;
        return v.ToByteArray(isUnsigned: true, isBigEndian: true);
    }
}
