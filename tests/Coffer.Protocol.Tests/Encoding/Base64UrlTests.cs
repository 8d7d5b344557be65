using Coffer.Protocol.Encoding;

namespace Coffer.Protocol.Tests.Encoding;

public class Base64UrlTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("66", "Zg")]
    [InlineData("666f", "Zm8")]
    [InlineData("666f6f", "Zm9v")]
    [InlineData("fbff", "-_8")]
    public void Encode_KnownBytes_GivesUnpaddedUrlAlphabet(string hex, string expected)
    {
        Assert.Equal(expected, Base64Url.Encode(Convert.FromHexString(hex)));
        Assert.Equal(Convert.FromHexString(hex), Base64Url.Decode(expected));
    }

    [Theory]
    [InlineData("Zg==")]      // padding
    [InlineData("Zm9v+/8")]   // standard alphabet
    [InlineData("Zm 9v")]     // whitespace
    [InlineData("Zh")]        // non-canonical trailing bits
    [InlineData("Z")]         // impossible length
    [InlineData("Zm9v\n")]
    public void TryDecode_NonCanonical_IsRejected(string text)
    {
        Assert.False(Base64Url.TryDecode(text, out _));
        Assert.Throws<FormatException>(() => Base64Url.Decode(text));
    }
}
