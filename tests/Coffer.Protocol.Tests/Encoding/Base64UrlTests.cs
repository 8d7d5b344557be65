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
        Assert.False(Base64Url.TryDecode(System.Text.Encoding.UTF8.GetBytes(text), out _));
        Assert.Throws<FormatException>(() => Base64Url.Decode(text));
    }

    [Fact]
    public void TryDecode_EveryLastCharacter_AcceptsExactlyTheCanonicalEncodings()
    {
        // One value, one encoding (RFC 4648 §3.5): of the 64 possible last characters after "Zm" and "Zm9", only those
        // that re-encode to themselves are accepted, by the text and the UTF-8 readers alike.
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int accepted = 0;
        foreach (string prefix in new[] { "Zm9vY", "Zm9vYm" })
        {
            foreach (char last in Alphabet)
            {
                string text = prefix + last;
                string standard = text.Replace('-', '+').Replace('_', '/');
                bool canonical = Base64Url.Encode(Convert.FromBase64String(standard.PadRight((standard.Length + 3) / 4 * 4, '='))) == text;
                Assert.Equal(canonical, Base64Url.TryDecode(text, out byte[]? fromText));
                Assert.Equal(canonical, Base64Url.TryDecode(System.Text.Encoding.ASCII.GetBytes(text), out byte[]? fromUtf8));
                if (canonical)
                {
                    accepted++;
                    Assert.Equal(fromText, fromUtf8);
                }
            }
        }
        Assert.Equal(4 + 16, accepted);
    }

    [Fact]
    public void TryDecode_RandomBytes_RoundTripThroughBothReaders()
    {
        for (int length = 0; length < 70; length++)
        {
            byte[] data = new byte[length];
            System.Security.Cryptography.RandomNumberGenerator.Fill(data);
            string text = Base64Url.Encode(data);
            Assert.True(Base64Url.TryDecode(text, out byte[]? fromText));
            Assert.True(Base64Url.TryDecode(System.Text.Encoding.ASCII.GetBytes(text), out byte[]? fromUtf8));
            Assert.Equal(data, fromText);
            Assert.Equal(data, fromUtf8);
        }
    }
}
