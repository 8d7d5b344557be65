using System.Security.Cryptography;
using System.Text.Json;

namespace Coffer.Protocol.Tests.Kdf;

/// <summary>.NET's HKDF, on which 2SKD (PROTOCOL.md §2) rests, against RFC 5869 Appendix A.</summary>
public class HkdfTests
{
    public static TheoryData<int> Rfc5869Cases() => [1, 2, 3];

    private static JsonElement Case(int number)
    {
        using JsonDocument doc = TestData.Json("vectors", "hkdf-rfc5869.json");
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            if (c.GetProperty("case").GetInt32() == number)
            {
                return c.Clone();
            }
        }
        throw new InvalidOperationException($"no case {number}");
    }

    // RFC 5869 A.1–A.3 (SHA-256): Extract gives PRK, Expand gives OKM, DeriveKey does both.
    [Theory]
    [MemberData(nameof(Rfc5869Cases))]
    public void ExtractExpandDeriveKey_Rfc5869AppendixA_MatchPrkAndOkm(int number)
    {
        JsonElement c = Case(number);
        Assert.Equal("SHA-256", c.GetProperty("Hash").GetString());
        byte[] ikm = TestData.Hex(c.GetProperty("IKM").GetString()!);
        byte[] salt = TestData.Hex(c.GetProperty("salt").GetString()!);
        byte[] info = TestData.Hex(c.GetProperty("info").GetString()!);
        int length = c.GetProperty("L").GetInt32();
        byte[] prk = TestData.Hex(c.GetProperty("PRK").GetString()!);
        byte[] okm = TestData.Hex(c.GetProperty("OKM").GetString()!);
        Assert.Equal(c.GetProperty("IKM_len").GetInt32(), ikm.Length);
        Assert.Equal(c.GetProperty("salt_len").GetInt32(), salt.Length);
        Assert.Equal(c.GetProperty("info_len").GetInt32(), info.Length);

        Assert.Equal(prk, HKDF.Extract(HashAlgorithmName.SHA256, ikm, salt));
        Assert.Equal(okm, HKDF.Expand(HashAlgorithmName.SHA256, prk, length, info));
        Assert.Equal(okm, HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, length, salt, info));

        Span<byte> output = stackalloc byte[length];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, output, salt, info);
        Assert.Equal(okm, output.ToArray());
    }

    // RFC 5869 A.3 and §2.2: an absent salt is HashLen zero bytes, so both spellings give the same PRK.
    [Fact]
    public void Extract_EmptySaltAndZeroSalt_GiveRfc5869CaseThreePrk()
    {
        JsonElement c = Case(3);
        byte[] ikm = TestData.Hex(c.GetProperty("IKM").GetString()!);
        byte[] prk = TestData.Hex(c.GetProperty("PRK").GetString()!);
        Assert.Equal(prk, HKDF.Extract(HashAlgorithmName.SHA256, ikm, []));
        Assert.Equal(prk, HKDF.Extract(HashAlgorithmName.SHA256, ikm, new byte[32]));
    }

    // RFC 5869 §2.3: L ≤ 255·HashLen.
    [Fact]
    public void Expand_LongerThan255Blocks_Throws() =>
        Assert.ThrowsAny<ArgumentException>(() => HKDF.Expand(HashAlgorithmName.SHA256, new byte[32], 255 * 32 + 1));
}
