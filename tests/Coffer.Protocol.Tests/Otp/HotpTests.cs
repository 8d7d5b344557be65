using System.Text.Json;
using Coffer.Protocol.Otp;

namespace Coffer.Protocol.Tests.Otp;

public class HotpTests
{
    public static TheoryData<int> Rfc4226Counts() => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    private static JsonElement Case(int count)
    {
        using JsonDocument doc = TestData.Json("vectors", "hotp-rfc4226.json");
        return doc.RootElement.GetProperty("cases")[count].Clone();
    }

    private static byte[] Secret()
    {
        using JsonDocument doc = TestData.Json("vectors", "hotp-rfc4226.json");
        return TestData.Hex(doc.RootElement.GetProperty("secret_hex").GetString()!);
    }

    // RFC 4226 Appendix D, Table 1: HMAC-SHA-1(K, C).
    [Theory]
    [MemberData(nameof(Rfc4226Counts))]
    public void ComputeHmac_Rfc4226AppendixDTable1_MatchesHmac(int count)
    {
        JsonElement c = Case(count);
        Assert.Equal(count, c.GetProperty("count").GetInt32());
        Span<byte> mac = stackalloc byte[64];
        int length = Hotp.ComputeHmac(Secret(), (ulong)count, OtpAlgorithm.Sha1, mac);
        Assert.Equal(20, length);
        Assert.Equal(c.GetProperty("hmac_sha1").GetString(), Convert.ToHexStringLower(mac[..length]));
    }

    // RFC 4226 Appendix D, Table 2: dynamic truncation (hex and decimal) and the 6-digit HOTP.
    [Theory]
    [MemberData(nameof(Rfc4226Counts))]
    public void DynamicTruncateAndCompute_Rfc4226AppendixDTable2_MatchTruncationAndCode(int count)
    {
        JsonElement c = Case(count);
        byte[] mac = TestData.Hex(c.GetProperty("hmac_sha1").GetString()!);
        uint truncated = Hotp.DynamicTruncate(mac);
        Assert.Equal(c.GetProperty("truncated_dec").GetUInt32(), truncated);
        Assert.Equal(c.GetProperty("truncated_hex_8").GetString(), truncated.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));

        using Hotp hotp = new(Secret());
        Assert.Equal(c.GetProperty("hotp").GetString(), hotp.Compute((ulong)count));
        Assert.True(hotp.Verify(c.GetProperty("hotp").GetString(), (ulong)count));
        Assert.False(hotp.Verify(c.GetProperty("hotp").GetString(), (ulong)count + 1));
    }

    // RFC 4226 Appendix D: the same truncated values mod 10^8 give 8-digit codes (7 and 8 digits keep leading zeros).
    [Fact]
    public void Compute_EightDigits_IsTruncationModHundredMillionZeroPadded()
    {
        using Hotp hotp = new(Secret(), digits: 8);
        Assert.Equal("82162583", hotp.Compute(7));  // truncated_dec 82162583
        Assert.Equal("37359152", hotp.Compute(2));  // 137359152 mod 10^8
        using Hotp seven = new(Secret(), digits: 7);
        Assert.Equal("2162583", seven.Compute(7));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(9)]
    [InlineData(0)]
    [InlineData(-6)]
    public void Constructor_DigitsOutsideSixToEight_Throws(int digits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Hotp(new byte[20], digits));

    [Fact]
    public void Constructor_EmptyKey_Throws() => Assert.Throws<ArgumentException>(() => new Hotp([]));

    [Fact]
    public void Constructor_UnknownAlgorithm_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Hotp(new byte[20], 6, (OtpAlgorithm)7));

    [Theory]
    [InlineData("75522")]
    [InlineData("7552244")]
    [InlineData("75522a")]
    [InlineData(" 755224")]
    [InlineData("７５５２２４")] // full-width digits are not ASCII digits
    [InlineData("")]
    public void Verify_NotSixAsciiDigits_IsFalse(string code)
    {
        using Hotp hotp = new(Secret());
        Assert.False(hotp.Verify(code, 0));
    }

    [Fact]
    public void Constructor_CopiesKey_CallerBufferChangesDoNotAffectCodes()
    {
        byte[] key = Secret();
        using Hotp hotp = new(key);
        Array.Clear(key);
        Assert.Equal("755224", hotp.Compute(0));
    }

    [Fact]
    public void Dispose_ThenCompute_Throws()
    {
        Hotp hotp = new(Secret());
        hotp.Dispose();
        Assert.Throws<ObjectDisposedException>(() => hotp.Compute(0));
        Assert.Throws<ObjectDisposedException>(() => hotp.Verify("755224", 0));
    }
}
